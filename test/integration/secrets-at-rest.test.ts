import assert from 'node:assert/strict';
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import type { RunningPlatform } from '../../src/cli/start-command.js';
import { ADMIN_CREDENTIALS_FILE } from '../../src/platform/admin-bootstrap.js';
import { hashDeviceToken } from '../../src/platform/devices/device-token.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import { buildGatewayWorld, datastreamId, type GatewayWorld, TargetKind } from '../helpers/gateway-world.js';
import { connectClient } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { payloads, topics } from '../helpers/sync.js';

type Server = RunningPlatform & { readonly httpUrl: string };

/** Every file under `dir` (recursively) and every directory, with their modes. */
async function walk(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await walk(path);
      files.push(...inner.files);
      dirs.push(...inner.dirs);
    } else files.push(path);
  }
  return { files, dirs };
}

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

async function bearer(server: Server): Promise<string> {
  const { clientId, clientSecret } = server.admin.credentials;
  const response = await fetch(`${server.httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The Platform API as the admin client (a fresh bearer token per server run). */
async function platformApi(server: Server) {
  const token = await bearer(server);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return { token, call };
}

/** Sets Power of `deviceId` through the Platform API: the device's `downlink/ds/Power`. */
async function writePower(server: Server, world: GatewayWorld, deviceId: number, value: number) {
  const { call } = await platformApi(server);
  const body = { deviceId, dataStreamId: datastreamId(world.template, 'Power'), value };
  const result = await call('POST', '/api/v1/organization/device/datastream', body);
  assert.equal(result.status, 204, JSON.stringify(result.json));
}

const oauthSession = (world: GatewayWorld): IClientOptions => ({
  protocolVersion: 5,
  clientId: 'gw-oauth',
  clean: false,
  properties: { sessionExpiryInterval: 3600 },
  username: world.oauth.client.clientId,
  password: world.oauth.secret,
});

const mgmtSession = (world: GatewayWorld): IClientOptions => ({
  protocolVersion: 4,
  clientId: 'gw-mgmt',
  clean: false,
  username: 'mgmt_device',
  password: world.gateway.token,
});

function target(world: GatewayWorld, kind: TargetKind) {
  const found = world.targets[kind];
  assert.ok(found, kind);
  return found;
}

interface FirstRun {
  readonly world: GatewayWorld;
  /** Every secret a client or the API was given; the admin secret is listed apart. */
  readonly secrets: Map<string, string>;
  readonly staticTokens: readonly string[];
  /** Device whose token was rotated while its gateway was away (its old token in `secrets`). */
  readonly rotatedId: number;
  readonly movedId: number;
}

/**
 * Gateways (OAuth v5 and mgmt_device 3.1.1) subscribe `dev/{token}/downlink/…` with persistent
 * sessions and wills, a device keeps a session too, static tokens are made through the API;
 * then the gateways go away, downlinks queue for them, one target's token is rotated and another
 * target moves out of the gateways' scope.
 */
async function firstRun(t: TestContext, server: Server): Promise<FirstRun> {
  const world = await buildGatewayWorld(server.platform, server.admin.root.id);
  const root = callerFor(server.admin.root.id);
  const same = target(world, TargetKind.Same);
  const child = target(world, TargetKind.Child);
  const grandchild = target(world, TargetKind.Descendant);
  const rotated = await server.platform.devices.create(root, {
    templateId: world.template.id,
    name: 'rotated',
    orgId: world.orgs.scope,
  });
  const mqtt = server.server.addresses.mqtt!;
  const oauth = await connectClient(t, mqtt, {
    ...oauthSession(world),
    will: { topic: `dev/${same.token}/ds/Power`, payload: Buffer.from('7'), qos: 1, retain: false },
  });
  for (const filter of [
    `dev/${same.token}/downlink/#`,
    `dev/${child.token}/#`,
    `dev/${rotated.token}/downlink/ds/Power`,
  ])
    await oauth.client.subscribeAsync(filter, { qos: 1 });
  await oauth.client.publishAsync(`dev/${same.token}/ds/Power`, '3', { qos: 1, retain: true });
  const mgmt = await connectClient(t, mqtt, {
    ...mgmtSession(world),
    will: { topic: `dev/${grandchild.token}/ds/Power`, payload: Buffer.from('8'), qos: 1, retain: true },
  });
  await mgmt.client.subscribeAsync(`dev/${grandchild.token}/downlink/ds/Power`, { qos: 1 });
  const device = await connectClient(t, mqtt, {
    protocolVersion: 5,
    clientId: 'own-device',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    username: 'device',
    password: same.token,
    will: { topic: 'ds/Power', payload: Buffer.from('9'), qos: 1, retain: true },
  });
  await device.client.subscribeAsync('downlink/#', { qos: 1 });

  const { token: accessToken, call } = await platformApi(server);
  const generated = await call('POST', '/api/v1/organization/static-tokens/generate', {
    templateId: world.template.templateId,
    count: 2,
  });
  assert.equal(generated.status, 201);
  const made = generated.json as Array<{ token: string; deviceToken: string }>;

  // Away: wills go (abrupt close), downlinks queue for the three persistent sessions.
  oauth.client.end(true);
  mgmt.client.end(true);
  device.client.end(true);
  await Promise.all(
    [oauth, mgmt, device].map((c) => new Promise<void>((r) => c.client.once('close', () => r()))),
  );
  await writePower(server, world, same.device.id, 41);
  await writePower(server, world, grandchild.device.id, 42);
  const newToken = await server.platform.devices.rotateToken(root, rotated.device.id);
  await server.platform.devices.transfer(root, child.device.id, world.orgs.sibling);

  const secrets = new Map<string, string>([
    ['OAuth client secret', world.oauth.secret],
    ['OAuth access token', accessToken],
    ['rotated token (old)', rotated.token],
    ['rotated token (new)', newToken],
  ]);
  for (const [kind, token] of Object.entries(world.tokens))
    if (kind !== TargetKind.Malformed && kind !== TargetKind.Unknown) secrets.set(`${kind} token`, token);
  secrets.set('gateway device token', world.gateway.token);
  for (const [i, s] of made.entries()) {
    secrets.set(`static token ${i}`, s.token);
    secrets.set(`static device token ${i}`, s.deviceToken);
  }
  return {
    world,
    secrets,
    staticTokens: made.map((s) => s.token),
    rotatedId: rotated.device.id,
    movedId: child.device.id,
  };
}

test('security: no token or secret in any file of the data dir (all 0600, dir 0700); restored gateway subscriptions still deliver as dev/{token}/…', async (t) => {
  const dataDir = await tempDataDir(t, 'devgate-secrets-');
  await chmod(dataDir, 0o755); // as `mkdir -p data` leaves it
  const first = await startPlatformServer(t, dataDir, ['--persistence']);
  const run = await firstRun(t, first);
  const adminSecret = first.admin.credentials.clientSecret;
  assert.equal(await first.close(), true);

  const { files, dirs } = await walk(dataDir);
  assert.ok(files.some((f) => f.endsWith('engine.sqlite')));
  for (const file of files) {
    const bytes = (await readFile(file)).toString('latin1');
    for (const [what, secret] of run.secrets)
      assert.ok(!bytes.includes(secret), `${what} in clear text in ${file.slice(dataDir.length)}`);
    // The operator's admin credentials are kept on purpose (0600), and nowhere else.
    if (!file.endsWith(ADMIN_CREDENTIALS_FILE))
      assert.ok(!bytes.includes(adminSecret), `admin secret in ${file.slice(dataDir.length)}`);
    assert.equal(await modeOf(file), 0o600, `mode of ${file.slice(dataDir.length)}`);
  }
  for (const dir of dirs) assert.equal(await modeOf(dir), 0o700, `mode of ${dir}`);
  // The sessions were persisted, sealed: the token's hash stands where the token was.
  const engine = (await readFile(join(dataDir, 'engine.sqlite'))).toString('latin1');
  const sameToken = run.world.targets[TargetKind.Same]?.token ?? '';
  assert.ok(engine.includes(`dev/#${hashDeviceToken(sameToken)}/downlink/#`));

  const second = await startPlatformServer(t, dataDir, ['--persistence']);
  const { world } = run;
  const mqtt = second.server.addresses.mqtt!;
  const same = target(world, TargetKind.Same);
  const grandchild = target(world, TargetKind.Descendant);
  const oauth = await connectClient(t, mqtt, oauthSession(world));
  assert.equal(oauth.connack.sessionPresent, true);
  const queued = await oauth.inbox.next();
  assert.equal(
    queued.topic,
    `dev/${same.token}/downlink/ds/Power`,
    'the queued downlink, shown with its token',
  );
  assert.equal(queued.payload.toString(), '41');
  const mgmt = await connectClient(t, mqtt, mgmtSession(world));
  const mgmtQueued = await mgmt.inbox.next();
  assert.equal(mgmtQueued.topic, `dev/${grandchild.token}/downlink/ds/Power`);
  assert.equal(mgmtQueued.payload.toString(), '42');

  // Rotated (its subscription is gone) and moved out of scope (revoked on resume): nothing leaks.
  await writePower(second, world, run.rotatedId, 1);
  await writePower(second, world, run.movedId, 2);
  await writePower(second, world, same.device.id, 43);
  const before = await oauth.inbox.until(`dev/${same.token}/downlink/ds/Power`);
  assert.deepEqual(topics(before), [], 'no downlink of a rotated or moved target');
  assert.deepEqual(payloads(oauth.inbox.all.slice(-1)), ['43']);
  const subscriptions = second.server.broker.subscriptionsOf(`oauth:${world.oauth.client.clientId}:gw-oauth`);
  assert.deepEqual([...(subscriptions?.keys() ?? [])], [`dev/${same.token}/downlink/#`]);

  const { call } = await platformApi(second);
  const listed = await call(
    'GET',
    `/api/v1/organization/static-tokens?orgId=${world.orgs.root}&page=0&size=10`,
  );
  assert.deepEqual(
    (listed.json as { content: Array<{ token: string }> }).content.map((s) => s.token),
    run.staticTokens,
    'static tokens are still shown after a restart',
  );
});

test('security: session rows an older devgate stored with dev/{token}/… in clear text are rewritten sealed at start, and still deliver', async (t) => {
  const dataDir = await tempDataDir(t, 'devgate-secrets-legacy-');
  const first = await startPlatformServer(t, dataDir, ['--persistence']);
  const world = await buildGatewayWorld(first.platform, first.admin.root.id);
  const same = target(world, TargetKind.Same);
  const rotated = target(world, TargetKind.Child);
  const sessionKey = `oauth:${world.oauth.client.clientId}:gw-oauth`;
  // Rotated after the old version stored its subscriptions: those must go, not come back sealed.
  await first.platform.devices.rotateToken(callerFor(first.admin.root.id), rotated.device.id);
  assert.equal(await first.close(), true);
  // What the older version wrote: the wire filter (with the token) beside its internal filter.
  const legacy = openSqliteStores(join(dataDir, 'engine.sqlite'));
  const subscription = (token: string, deviceId: number, relative = 'downlink/#') => ({
    filter: `dev/${token}/${relative}`,
    matchFilter: `$dev/${deviceId}/${relative}`,
    qos: 1 as const,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0 as const,
  });
  legacy.sessions.putSession({
    clientId: sessionKey,
    protocolVersion: 5,
    expiryInterval: 3600,
    disconnectedAt: Date.now(),
    subscriptions: [
      subscription(same.token, same.device.id),
      subscription(rotated.token, rotated.device.id),
      // Enough to spill the row onto overflow pages, which the smaller rewrite frees (not overwritten).
      ...Array.from({ length: 200 }, (_, i) =>
        subscription(rotated.token, rotated.device.id, `downlink/ds/n${i}`),
      ),
    ],
    identity: { clientId: 'gw-oauth', username: world.oauth.client.clientId },
  });
  await legacy.close();
  const engineBytes = async () =>
    (await Promise.all((await walk(dataDir)).files.map((f) => readFile(f)))).map((b) => b.toString('latin1'));
  assert.ok(
    (await engineBytes()).some((b) => b.includes(same.token)),
    'the old rows hold the token',
  );

  const second = await startPlatformServer(t, dataDir, ['--persistence']);
  assert.equal(await second.close(), true);
  for (const bytes of await engineBytes()) {
    assert.ok(!bytes.includes(same.token), 'no clear token left in any file');
    assert.ok(!bytes.includes(rotated.token), 'nor the rotated one');
  }

  const third = await startPlatformServer(t, dataDir, ['--persistence']);
  const oauth = await connectClient(t, third.server.addresses.mqtt!, oauthSession(world));
  assert.equal(oauth.connack.sessionPresent, true);
  assert.deepEqual(
    [...(third.server.broker.subscriptionsOf(sessionKey)?.keys() ?? [])],
    [`dev/${same.token}/downlink/#`],
  );
  await writePower(third, world, same.device.id, 5);
  const got = await oauth.inbox.next();
  assert.equal(got.topic, `dev/${same.token}/downlink/ds/Power`);
});
