import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Logger, pino } from 'pino';
import type { PlatformOptions } from '../../src/config/platform-options.js';
import type { DeviceApiRuntime } from '../../src/device-api/types.js';
import { buildHttpApp } from '../../src/http/app.js';
import type { Presence } from '../../src/http/context.js';
import type { LiveStreams } from '../../src/http/live/live-streams.js';
import type { Device, Organization, Template } from '../../src/platform/model.js';
import type { Platform } from '../../src/platform/platform.js';
import { FakeClock } from './channel-harness.js';
import { callerFor, openTestPlatform } from './platform.js';

/** An OAuth client of one org with a live access token. */
export interface ApiClient {
  readonly orgId: number;
  readonly clientId: string;
  readonly secret: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** `{ authorization: 'Bearer …' }` */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * An HTTP app on a fresh platform with an org tree for scope tests:
 *
 *   root ─┬─ a ── a1
 *         └─ b
 *
 * `rootTemplate` (root, inherited everywhere) and `bTemplate` (b only); `aDevice` in a,
 * `bDevice` in b.
 */
export interface ApiWorld {
  readonly app: FastifyInstance;
  readonly platform: Platform;
  readonly clock: FakeClock;
  readonly orgs: Record<'root' | 'a' | 'a1' | 'b', Organization>;
  readonly rootTemplate: Template;
  readonly bTemplate: Template;
  readonly aDevice: Device;
  readonly bDevice: Device;
  /** A client (with a token) for the org. */
  client(org: Organization): Promise<ApiClient>;
  /** An inject call; `as` adds that client's bearer header. */
  call(options: InjectOptions & { as?: ApiClient }): Promise<LightMyRequestResponse>;
}

export interface WorldOptions {
  readonly bodyLimit?: number;
  readonly presence?: Presence;
  /** The device API the write/command routes use (a fake in HTTP tests); absent = not ready. */
  readonly deviceApi?: () => DeviceApiRuntime | undefined;
  readonly options?: Partial<PlatformOptions>;
  /** The live-stream registry (its limits and ping interval); default: the app's own. */
  readonly liveStreams?: LiveStreams;
  /** Silent by default. */
  readonly logger?: Logger;
}

export function basicHeader(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function buildTree(platform: Platform) {
  const root = await platform.orgs.createRoot({ name: 'Root Org' });
  const asRoot = callerFor(root.id);
  const a = await platform.orgs.create(asRoot, { name: 'Org A' });
  const a1 = await platform.orgs.create(asRoot, { name: 'Org A1', parentOrganizationId: a.id });
  const b = await platform.orgs.create(asRoot, { name: 'Org B' });
  const rootTemplate = await platform.templates.create(asRoot, {
    name: 'Thermostat',
    datastreams: [
      { name: 'Temperature', pin: 1, type: 'Double', isSync: true, isRaw: true, defaultValue: 20 },
      { name: 'Label', pin: 2, type: 'String', isSync: false, isRaw: false, alias: 'Label' },
      { name: 'Position', pin: 3, type: 'Location', isSync: false, isRaw: false },
    ],
    metaFields: [{ name: 'Serial', type: 'Text', defaultValue: 'none' }],
  });
  const bTemplate = await platform.templates.create(callerFor(b.id), { name: 'B Gadget' });
  const aDevice = (
    await platform.devices.create(callerFor(a.id), { templateId: rootTemplate.id, name: 'A Device' })
  ).device;
  const bDevice = (
    await platform.devices.create(callerFor(b.id), { templateId: bTemplate.id, name: 'B Device' })
  ).device;
  return { orgs: { root, a, a1, b }, rootTemplate, bTemplate, aDevice, bDevice };
}

/** The world, closed after the test. */
export async function openApiWorld(t: TestContext, options: WorldOptions = {}): Promise<ApiWorld> {
  const clock = new FakeClock();
  const platform = await openTestPlatform(t, {
    clock,
    ...(options.options === undefined ? {} : { options: options.options }),
  });
  const app = await buildHttpApp({
    platform,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    ...(options.presence === undefined ? {} : { presence: options.presence }),
    ...(options.deviceApi === undefined ? {} : { deviceApi: options.deviceApi }),
    ...(options.liveStreams === undefined ? {} : { liveStreams: options.liveStreams }),
    clock,
  });
  t.after(() => app.close());
  const tree = await buildTree(platform);
  const call = ({ as, ...rest }: InjectOptions & { as?: ApiClient }) =>
    app.inject({ ...rest, headers: { ...as?.headers, ...rest.headers } });
  const client = (org: Organization) => issueApiClient(platform, app, org, `client of ${org.id}`);
  return { app, platform, clock, ...tree, client, call };
}

/** A new OAuth client of `org` named `name`, with a client-credentials token issued through `app`. */
export async function issueApiClient(
  platform: Platform,
  app: FastifyInstance,
  org: Organization,
  name: string,
): Promise<ApiClient> {
  const { client, secret } = await platform.oauth.createClient(callerFor(org.id), { name });
  const response = await app.inject({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials',
    headers: { authorization: basicHeader(client.clientId, secret) },
  });
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.body}`);
  const tokens = response.json() as { access_token: string; refresh_token: string };
  return {
    orgId: org.id,
    clientId: client.clientId,
    secret,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  };
}

/** The `{"error":{"message"}}` text of a response. */
export function errorMessage(response: LightMyRequestResponse): string {
  return (response.json() as { error: { message: string } }).error.message;
}
