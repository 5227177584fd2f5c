import assert from 'node:assert/strict';
import { connect as connectTcp, type Socket } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type Connected, connectClient } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';
import { SseReader } from '../helpers/sse-reader.js';
import { WAIT_MS } from '../helpers/wait.js';
import { publishCode } from './gateway-api/gateway-mqtt.js';
import { type GatewayServer, startGatewayServer } from './gateway-api/gateway-server.js';

/**
 * The console's push channel (decision 0025), end to end on `devgate start` in-process: a real
 * `mqtt` device, a real gateway and Platform API writes, read through
 * `GET /api/v1/organization/device/live` with node's fetch and a streaming body reader.
 */

const LIVE = '/api/v1/organization/device/live';

async function bearerFor(httpUrl: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

interface Live {
  readonly s: GatewayServer;
  /** Bearer of the root admin client. */
  readonly root: string;
  /** Bearer of an OAuth client of the `scope` org (sees scope, child, grandchild only). */
  readonly scoped: string;
  open(deviceId: number, bearer?: string): Promise<Response>;
  stream(deviceId: number, bearer?: string): Promise<SseReader>;
  device(kind: 'same orgId', version: 4 | 5): Promise<Connected>;
  metric(name: string): Promise<number>;
}

async function openLive(t: TestContext, extraArgs: readonly string[] = []): Promise<Live> {
  const s = await startGatewayServer(t, extraArgs);
  const { clientId, clientSecret } = s.running.admin.credentials;
  const root = await bearerFor(s.httpUrl, clientId, clientSecret);
  const scoped = await bearerFor(s.httpUrl, s.world.oauth.client.clientId, s.world.oauth.secret);
  const open = (deviceId: number, bearer = root) =>
    fetch(`${s.httpUrl}${LIVE}?deviceId=${deviceId}`, { headers: { authorization: `Bearer ${bearer}` } });
  return {
    s,
    root,
    scoped,
    open,
    async stream(deviceId, bearer) {
      const response = await open(deviceId, bearer);
      assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      return new SseReader(t, response);
    },
    device: (_kind, version) =>
      connectClient(t, s.mqttPort, {
        username: 'device',
        password: same(s).token,
        protocolVersion: version,
      }),
    async metric(name) {
      const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
      return sampleValue(parseExposition(text), name) ?? 0;
    },
  };
}

function same(s: GatewayServer) {
  const target = s.world.targets['same org'];
  assert.ok(target !== undefined);
  return target;
}

function ds(s: GatewayServer, name: string): number {
  const found = s.world.template.datastreams.find((d) => d.name === name);
  assert.ok(found !== undefined);
  return found.id;
}

const valueIs = (expected: unknown) => (data: unknown) => (data as { value: unknown }).value === expected;

for (const version of [4, 5] as const) {
  describe(`live device stream, MQTT ${version === 4 ? '3.1.1' : '5'} device`, () => {
    test('snapshot first; ds/NAME, batch_ds, event/CODE and presence reach the stream within a second', async (t) => {
      const live = await openLive(t);
      const { s } = live;
      const target = same(s);
      // Offline follows the disconnect at once (spec §5.10 offline delay 0).
      await s.running.platform.templates.update(callerFor(s.world.orgs.root), s.world.template.id, {
        offlineDelaySec: 0,
      });
      await s.running.platform.devices.writeValues(target.device.id, [
        { dataStreamId: ds(s, 'Power'), value: 5 },
      ]);
      const reader = await live.stream(target.device.id);
      const first = await reader.next();
      assert.equal(first.event, 'snapshot');
      const snapshot = first.data as { connected: boolean; values: Array<Record<string, unknown>> };
      assert.equal(snapshot.connected, false);
      const power = snapshot.values.find((v) => v.pin === 'v1');
      assert.equal(power?.value, 5);
      assert.equal(power?.dataStreamId, ds(s, 'Power'));

      const device = await live.device('same orgId', version);
      const online = await reader.until('online');
      assert.equal((online.data as { connected: boolean }).connected, true);

      const started = Date.now();
      assert.equal(await publishCode(device.client, 'ds/Power', '42'), 0);
      const value = await reader.until('value', valueIs(42), 1000);
      assert.ok(Date.now() - started < 1000);
      const data = value.data as { dataStreamId: number; pin: string; updatedAt: number };
      assert.equal(data.pin, 'v1');
      assert.equal(data.dataStreamId, ds(s, 'Power'));
      assert.ok(Math.abs(data.updatedAt - Date.now()) < 5000);

      assert.equal(await publishCode(device.client, 'batch_ds', '{"Temperature":21.5,"Label":"warm"}'), 0);
      const batch = [await reader.until('value'), await reader.until('value')].map(
        (m) =>
          (m.data as { pin: string; value: unknown }).pin +
          '=' +
          String((m.data as { value: unknown }).value),
      );
      assert.deepEqual(batch.sort(), ['v2=21.5', 'v3=warm']);

      assert.equal(await publishCode(device.client, 'event/alarm', 'too hot'), 0);
      const event = (await reader.until('event')).data as Record<string, unknown>;
      assert.equal(event.eventCode, 'alarm');
      assert.equal(event.description, 'too hot');
      assert.equal(typeof event.id, 'number');
      assert.equal(typeof event.ts, 'number');

      await device.client.endAsync();
      const offline = await reader.until('online', () => true, WAIT_MS);
      assert.equal((offline.data as { connected: boolean }).connected, false);
    });
  });
}

describe('live device stream: other write paths', () => {
  test('a gateway dev/{token}/ds/NAME value reaches the stream; GET gateways lists the session and the device', async (t) => {
    const live = await openLive(t);
    const { s } = live;
    const target = same(s);
    const reader = await live.stream(target.device.id, live.scoped);
    assert.equal((await reader.next()).event, 'snapshot');
    const gateway = await s.gateway('oauth', 5, { clientId: 'gw-live-1' });
    assert.equal(await publishCode(gateway.client, `dev/${target.token}/ds/Power`, '17'), 0);
    await reader.until('value', valueIs(17), 1000);

    for (const bearer of [live.root, live.scoped]) {
      const response = await fetch(`${s.httpUrl}/api/v1/organization/gateways`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(response.status, 200);
      const list = (await response.json()) as Array<Record<string, unknown>>;
      assert.equal(list.length, 1);
      const [session] = list;
      assert.equal(session?.clientId, 'gw-live-1');
      assert.equal(session?.login, 'oauth');
      assert.equal(session?.orgId, s.world.orgs.scope);
      assert.equal(typeof session?.connectedAt, 'number');
      assert.equal(typeof session?.sessionId, 'string');
      const devices = session?.devices as Array<{ deviceId: number; name: string; lastActiveAt: number }>;
      assert.deepEqual(
        devices.map((d) => [d.deviceId, d.name]),
        [[target.device.id, 'same']],
      );
    }
  });

  test('gateways of an org outside the caller scope are not listed', async (t) => {
    const live = await openLive(t);
    const { s } = live;
    const sibling = await s.running.platform.oauth.createClient(callerFor(s.world.orgs.root), {
      name: 'sibling client',
      orgId: s.world.orgs.sibling,
    });
    const siblingBearer = await bearerFor(s.httpUrl, sibling.client.clientId, sibling.secret);
    const gateway = await s.gateway('mgmt', 4);
    assert.equal(await publishCode(gateway.client, `dev/${same(s).token}/ds/Power`, '3'), 0);
    const response = await fetch(`${s.httpUrl}/api/v1/organization/gateways`, {
      headers: { authorization: `Bearer ${siblingBearer}` },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), []);
    const mine = await fetch(`${s.httpUrl}/api/v1/organization/gateways`, {
      headers: { authorization: `Bearer ${live.root}` },
    });
    const [session] = (await mine.json()) as Array<Record<string, unknown>>;
    assert.equal(session?.login, 'mgmt_device');
  });

  test('Platform API writes and Device HTTPS API updates reach the stream', async (t) => {
    const live = await openLive(t);
    const { s } = live;
    const target = same(s);
    const reader = await live.stream(target.device.id);
    assert.equal((await reader.next()).event, 'snapshot');
    const write = await s.api('POST', '/api/v1/organization/device/datastream', {
      deviceId: target.device.id,
      dataStreamId: ds(s, 'Power'),
      value: 64,
    });
    assert.equal(write.status, 204);
    await reader.until('value', valueIs(64), 1000);
    const update = await fetch(`${s.httpUrl}/external/api/update?token=${target.token}&v2=30.5`);
    assert.equal(update.status, 200);
    const got = (await reader.until('value', valueIs(30.5), 1000)).data as { pin: string };
    assert.equal(got.pin, 'v2');
  });

  test('spec §6.4 a device outside the caller scope is the same 404 as an unknown one', async (t) => {
    const live = await openLive(t);
    const { s } = live;
    const outside = s.world.targets['sibling org'];
    assert.ok(outside !== undefined);
    const refused = await live.open(outside.device.id, live.scoped);
    const unknown = await live.open(999_999, live.scoped);
    assert.equal(refused.status, 404);
    assert.equal(unknown.status, 404);
    assert.deepEqual((await refused.json()) as unknown, {
      error: {
        message: `Device with identifier ${outside.device.id} is not found or belong to another organization.`,
      },
    });
    await unknown.text();
    const child = s.world.targets['child org'];
    assert.ok(child !== undefined);
    const inScope = await live.stream(child.device.id, live.scoped);
    assert.equal((await inScope.next()).event, 'snapshot');
    const anonymous = await fetch(`${s.httpUrl}${LIVE}?deviceId=${child.device.id}`);
    assert.equal(anonymous.status, 401);
  });
});

describe('device page fields', () => {
  test('spec §5.4 GET device shows info/mcu hardware info, template name and TMPL id, presence and last seen', async (t) => {
    const live = await openLive(t);
    const { s } = live;
    const target = same(s);
    const get = async () => {
      const answer = await s.api('GET', `/api/v1/organization/device?deviceId=${target.device.id}`);
      assert.equal(answer.status, 200);
      return answer.json as Record<string, unknown>;
    };
    const before = await get();
    assert.equal(before.templateName, 'Gateway thing');
    assert.equal(before.blynkTemplateId, s.world.template.templateId);
    assert.equal(before.isHardwareConnected, false);
    assert.equal(before.lastSeenAt, null);
    assert.equal(before.hardwareInfo, undefined);
    const device = await live.device('same orgId', 5);
    const info = {
      tmpl: s.world.template.templateId,
      ver: '1.2.3',
      type: 'esp32-fw',
      build: 'Dec 7 2026',
      rxbuff: 1024,
    };
    assert.equal(await publishCode(device.client, 'info/mcu', JSON.stringify(info)), 0);
    const after = await get();
    assert.equal(after.isHardwareConnected, true);
    assert.equal(typeof after.lastSeenAt, 'number');
    assert.equal(typeof after.connectTime, 'number');
    const hardware = after.hardwareInfo as Record<string, unknown>;
    assert.equal(hardware.version, '1.2.3');
    assert.equal(hardware.templateId, s.world.template.templateId);
    assert.equal(hardware.fwType, 'esp32-fw');
    assert.ok(Array.isArray(after.dataStreamValues));
    assert.ok(Array.isArray(after.metaFieldValues));
  });
});

describe('live device stream: limits and shutdown', () => {
  test('per-caller and total stream limits; a closed stream gives its place back', async (t) => {
    const live = await openLive(t, ['--live-streams-per-caller', '2', '--live-streams-max', '3']);
    const id = same(live.s).device.id;
    const first = await live.stream(id);
    await live.stream(id);
    const third = await live.open(id);
    assert.equal(third.status, 429);
    assert.deepEqual(await third.json(), {
      error: { message: 'Too many live streams open for this caller.' },
    });
    await live.stream(id, live.scoped);
    const overTotal = await live.open(id, live.scoped);
    assert.equal(overTotal.status, 503);
    await overTotal.text();
    assert.equal(await live.metric('devgate_live_streams'), 3);
    await first.next();
    await first.cancel();
    const deadline = Date.now() + WAIT_MS;
    while ((await live.metric('devgate_live_streams')) !== 2) {
      assert.ok(Date.now() < deadline, 'the cancelled stream was not released');
      await delay(20);
    }
    await live.stream(id);
    assert.equal(await live.metric('devgate_live_streams_refused_total'), 2);
  });

  test('a reader that stops reading is closed with event: overflow while ingest and other streams go on', async (t) => {
    const live = await openLive(t, ['--device-rate-limit', '100000', '--device-rate-burst', '100000']);
    const { s } = live;
    const target = same(s);
    const fast = await live.stream(target.device.id);
    assert.equal((await fast.next()).event, 'snapshot');
    const slow = await rawStream(t, s.httpUrl, target.device.id, live.root);
    slow.pause();
    const device = await live.device('same orgId', 5);
    // The reading stream is read all along (a paused fetch body would push back like the slow one).
    const heard = fast.until('value', valueIs(77), 60_000);
    const text = 'x'.repeat(1000);
    let sent = 0;
    while ((await live.metric('devgate_live_streams_overflowed_total')) === 0) {
      assert.ok(sent < 40_000, 'the paused stream never overflowed');
      for (let i = 0; i < 10; i++) {
        const now = Date.now();
        const points = Array.from({ length: 60 }, (_, k) => [now - 60_000 + sent + k, text]);
        sent += points.length;
        assert.equal(
          await publishCode(device.client, 'ds/Label/timestamped_batch', JSON.stringify(points)),
          0,
        );
      }
    }
    // Ingest goes on and the reading stream hears it.
    assert.equal(await publishCode(device.client, 'ds/Power', '77'), 0);
    await heard;
    assert.equal(await live.metric('devgate_live_streams'), 1);
    const received = await drain(slow);
    assert.match(received, /^HTTP\/1\.1 200/);
    assert.ok(received.includes('event: overflow\ndata: {}\n\n'), received.slice(-200));
  });

  test('closing the server ends an open stream and does not wait for it', async (t) => {
    const live = await openLive(t);
    const reader = await live.stream(same(live.s).device.id);
    assert.equal((await reader.next()).event, 'snapshot');
    const started = Date.now();
    assert.equal(await live.s.running.close(), true);
    assert.ok(Date.now() - started < WAIT_MS, `close took ${Date.now() - started} ms`);
    await reader.rest();
    assert.ok(reader.ended);
  });
});

/** A live stream over a raw socket (so the test decides when it is read). */
async function rawStream(t: TestContext, httpUrl: string, deviceId: number, bearer: string): Promise<Socket> {
  const url = new URL(httpUrl);
  const socket = connectTcp(Number(url.port), url.hostname);
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET ${LIVE}?deviceId=${deviceId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n\r\n`,
  );
  return socket;
}

/** Everything the socket still delivers until the server closes it. */
function drain(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.resume();
  });
}
