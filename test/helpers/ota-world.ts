import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { defaultOtaOptions, type OtaOptions } from '../../src/config/ota-options.js';
import { buildHttpApp } from '../../src/http/app.js';
import type { FirmwareBlobs } from '../../src/ota/firmware-blobs.js';
import { firmwareFiles } from '../../src/ota/firmware-files.js';
import { encodeInfoTag } from '../../src/ota/info-tag.js';
import { openOtaService } from '../../src/ota/ota-service.js';
import { createSqliteOtaStore } from '../../src/ota/sqlite-ota-store.js';
import type { OtaDeviceLink, OtaService } from '../../src/ota/types.js';
import type { Device, HardwareInfo, Organization, Template } from '../../src/platform/model.js';
import type { Platform } from '../../src/platform/platform.js';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { FakeClock } from './fake-clock.js';
import { type ApiClient, issueApiClient } from './http-api.js';
import { callerFor, openTestPlatform } from './platform.js';

export const PUBLIC_URL = 'https://ota.example.test';

/** A stand-in for the device API: records unsolicited downlinks; `online` is presence. */
export interface FakeOtaLink extends OtaDeviceLink {
  readonly sent: Array<{ deviceId: number; topic: string; payload: string }>;
  readonly online: Set<number>;
  /** Calls the `info/mcu` listeners as the device API does after recording the report. */
  report(deviceId: number, info: HardwareInfo): void;
}

export function fakeOtaLink(): FakeOtaLink {
  const sent: FakeOtaLink['sent'] = [];
  const online = new Set<number>();
  const deviceInfoListeners: OtaDeviceLink['deviceInfoListeners'] = [];
  return {
    sent,
    online,
    deviceInfoListeners,
    downlinks: {
      unsolicited: (deviceId, topic, payload) => sent.push({ deviceId, topic, payload: payload.toString() }),
    },
    presence: { isOnline: (id) => online.has(id) },
    report: (deviceId, info) => {
      for (const listener of deviceInfoListeners) listener(deviceId, info);
    },
  };
}

/**
 *   root ─┬─ a ── a1
 *         └─ b
 * `template` (root, inherited) and `otherTemplate` (root); devices `a1` and `a2` (a, template),
 * `other` (a, otherTemplate), `b` (b, template).
 */
export interface OtaWorld {
  readonly dir: string;
  readonly platform: Platform;
  readonly ota: OtaService;
  readonly link: FakeOtaLink;
  readonly clock: FakeClock;
  readonly app: FastifyInstance;
  readonly orgs: Record<'root' | 'a' | 'a1' | 'b', Organization>;
  readonly template: Template;
  readonly otherTemplate: Template;
  readonly devices: Record<'a1' | 'a2' | 'other' | 'b', Device>;
  client(org: Organization): Promise<ApiClient>;
  call(options: InjectOptions & { as?: ApiClient }): Promise<LightMyRequestResponse>;
}

async function buildTree(platform: Platform) {
  const root = await platform.orgs.createRoot({ name: 'Root Org' });
  const asRoot = callerFor(root.id);
  const a = await platform.orgs.create(asRoot, { name: 'Org A' });
  const a1 = await platform.orgs.create(asRoot, { name: 'Org A1', parentOrganizationId: a.id });
  const b = await platform.orgs.create(asRoot, { name: 'Org B' });
  const template = await platform.templates.create(asRoot, { name: 'Thermostat' });
  const otherTemplate = await platform.templates.create(asRoot, { name: 'Lamp' });
  const make = async (org: Organization, tmpl: Template, name: string) =>
    (await platform.devices.create(callerFor(org.id), { templateId: tmpl.id, name })).device;
  const devices = {
    a1: await make(a, template, 'A one'),
    a2: await make(a, template, 'A two'),
    other: await make(a, otherTemplate, 'A lamp'),
    b: await make(b, template, 'B one'),
  };
  return { orgs: { root, a, a1, b }, template, otherTemplate, devices };
}

/**
 * Platform + OTA service on one temporary data directory, an HTTP app, a fake device API.
 * `firmware`: where the bytes go instead of files in the directory (e.g. PostgreSQL rows).
 */
export async function openOtaWorld(
  t: TestContext,
  options: Partial<OtaOptions> = {},
  seams: { firmware?: FirmwareBlobs } = {},
): Promise<OtaWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-ota-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const dbFile = join(dir, 'platform.sqlite');
  const platform = await openTestPlatform(t, { clock, file: dbFile });
  const logger = pino({ level: 'silent' });
  const otaOptions = { ...defaultOtaOptions, ...options };
  const tokenKey = randomBytes(32);
  // As `devgate start` does on SQLite: the OTA rows on a connection of their own, bytes in files.
  const ota = await openOtaService({
    store: createSqliteOtaStore(openPlatformDatabase(dbFile, { logger, tokenKey })),
    firmware: seams.firmware ?? firmwareFiles(dir),
    platform,
    tokenKey,
    options: otaOptions,
    publicUrl: () => PUBLIC_URL,
    logger,
    clock,
  });
  t.after(() => ota.close());
  const link = fakeOtaLink();
  ota.attach(link);
  const app = await buildHttpApp({
    platform,
    logger,
    ota: { service: ota, maxFirmwareBytes: otaOptions.maxFirmwareBytes },
  });
  t.after(() => app.close());
  const tree = await buildTree(platform);
  const call = ({ as, ...rest }: InjectOptions & { as?: ApiClient }) =>
    app.inject({ ...rest, headers: { ...as?.headers, ...rest.headers } });
  return {
    dir,
    platform,
    ota,
    link,
    clock,
    app,
    ...tree,
    client: (org) => issueApiClient(platform, app, org, `client ${org.id}`),
    call,
  };
}

/** A fake firmware image: random bytes around an info tag (none when `pairs` is undefined). */
export function firmwareImage(pairs?: Record<string, string>, size = 4096): Buffer {
  const tag = pairs === undefined ? Buffer.alloc(0) : encodeInfoTag(pairs);
  const before = randomBytes(Math.max(0, Math.floor((size - tag.length) / 2)));
  const after = randomBytes(Math.max(0, size - tag.length - before.length));
  return Buffer.concat([before, tag, after]);
}

/** The tag of a firmware for `template`, version `ver`. */
export function tagFor(
  template: Template,
  ver: string,
  build = 'Mar 05 2024 18:29:27',
): Record<string, string> {
  return { mcu: ver, 'fw-type': template.templateId, build, blynk: '1.3.2' };
}
