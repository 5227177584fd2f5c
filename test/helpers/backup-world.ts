import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { IClientOptions } from 'mqtt';
import type { ArchiveHeader, ArchiveRecord } from '../../src/backup/archive-format.js';
import type { RunningPlatform } from '../../src/cli/start-command.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { buildGatewayWorld, datastreamId, type GatewayWorld, TargetKind } from './gateway-world.js';
import { connectClient } from './mqtt-client.js';
import { firmwareImage } from './ota-world.js';

export type Server = RunningPlatform & { readonly httpUrl: string };

/** The Platform API as the server's admin client. */
export async function adminApi(server: Server) {
  const { clientId, clientSecret } = server.admin.credentials;
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  const tokenResponse = await fetch(`${server.httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
  });
  assert.equal(tokenResponse.status, 200);
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  return async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const response = await fetch(`${server.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
}

export interface Populated {
  readonly world: GatewayWorld;
  /** The device with a persistent session (client id `backup-device`) and a queued downlink. */
  readonly token: string;
  readonly firmware: Buffer;
  /** The console admin user's sign-in (it has a live session in the source). */
  readonly adminLogin: { readonly email: string; readonly password: string };
}

/** Signs in to the console over HTTP; returns the answer's status. */
export async function consoleSignIn(
  httpUrl: string,
  login: { email: string; password: string },
): Promise<number> {
  const response = await fetch(`${httpUrl}/api/v1/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  await response.arrayBuffer();
  return response.status;
}

export const DEVICE_CLIENT_ID = 'backup-device';

/** The persistent session of the world's OAuth gateway client (client id `backup-gateway`). */
export function gatewaySession(world: GatewayWorld): IClientOptions {
  return {
    protocolVersion: 5,
    clientId: 'backup-gateway',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    username: world.oauth.client.clientId,
    password: world.oauth.secret,
  };
}

/**
 * Fills a running server with every kind of data the archive carries: an org tree, a template,
 * devices, an OAuth client, static tokens, values with history, an event, metadata, a firmware
 * file, persistent sessions of the device and of a gateway with a queued downlink each (the server
 * runs with --persistence), and a console session of the admin user (not archived).
 */
export async function populate(t: TestContext, server: Server): Promise<Populated> {
  const world = await buildGatewayWorld(server.platform, server.admin.root.id);
  const same = world.targets[TargetKind.Same]!;
  const call = await adminApi(server);
  const tokens = await call('POST', '/api/v1/organization/static-tokens/generate', {
    templateId: world.template.templateId,
    count: 2,
  });
  assert.equal(tokens.status, 201, JSON.stringify(tokens.json));
  const firmware = firmwareImage({ mcu: '1.0.0' }, 150_000);
  const upload = await call(
    'POST',
    '/api/v1/organization/ota/firmware?name=fw',
    firmware,
    'application/octet-stream',
  );
  assert.equal(upload.status, 201, JSON.stringify(upload.json));

  const mqtt = server.server.addresses.mqtt!;
  const device = await connectClient(t, mqtt, {
    protocolVersion: 5,
    clientId: DEVICE_CLIENT_ID,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    username: 'device',
    password: same.token,
  });
  await device.client.subscribeAsync('downlink/#', { qos: 1 });
  for (const [topic, payload] of [
    ['ds/Power', '5'],
    ['ds/Temperature', '20.5'],
    ['ds/Temperature', '21.5'],
    ['ds/Label', 'hello'],
    ['event/alarm', 'too hot'],
    ['meta/Serial', 'SN-1'],
  ] as const)
    await device.client.publishAsync(topic, payload, { qos: 1 });
  // A gateway session too: its subscription holds the device token, so it is stored sealed.
  const gateway = await connectClient(t, mqtt, gatewaySession(world));
  await gateway.client.subscribeAsync(`dev/${same.token}/downlink/#`, { qos: 1 });
  for (const away of [device, gateway]) {
    away.client.end(true);
    await new Promise<void>((resolve) => away.client.once('close', () => resolve()));
  }
  // Away: the downlink queues in the device's persistent session.
  const body = { deviceId: same.device.id, dataStreamId: datastreamId(world.template, 'Power'), value: 41 };
  const written = await call('POST', '/api/v1/organization/device/datastream', body);
  assert.equal(written.status, 204, JSON.stringify(written.json));
  const { email, password } = server.admin.credentials;
  assert.ok(email !== undefined && password !== undefined, 'first start made the console admin user');
  assert.equal(await consoleSignIn(server.httpUrl, { email, password }), 200);
  return { world, token: same.token, firmware, adminLogin: { email, password } };
}

/**
 * Adds a retained message to the engine store of a stopped server's data dir, through the engine
 * store interface (`devgate start` has no plain-MQTT users that could publish one).
 */
export async function addRetained(dataDir: string): Promise<void> {
  const stores = openSqliteStores(join(dataDir, 'engine.sqlite'));
  stores.retained.put({
    topic: 'plain/status',
    payload: Buffer.from([0, 1, 2, 255]),
    qos: 1,
    retain: true,
    properties: { contentType: 'application/octet-stream', correlationData: Buffer.from('corr') },
    createdAt: 1_700_000_000_000,
    publisherId: 'plain-client',
  });
  await stores.close();
}

/** An archive's header and records (the test archives are small enough to read whole). */
export async function readArchive(
  file: string,
): Promise<{ header: ArchiveHeader; records: ArchiveRecord[] }> {
  const lines = gunzipSync(await readFile(file))
    .toString('utf8')
    .split('\n');
  assert.equal(lines.pop(), '', 'the archive ends with a newline');
  const [first, ...rest] = lines;
  return {
    header: JSON.parse(first!) as ArchiveHeader,
    records: rest.map((l) => JSON.parse(l) as ArchiveRecord),
  };
}

/** The archive's lines with the export time blanked: equal for two exports of the same data. */
export async function normalisedLines(file: string): Promise<string[]> {
  const { header, records } = await readArchive(file);
  return [JSON.stringify({ ...header, createdAt: '' }), ...records.map((r) => JSON.stringify(r))];
}
