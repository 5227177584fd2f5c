import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { DeviceApiOptions, DeviceApiRuntime } from '../../src/device-api/types.js';
import {
  currentValues,
  type DeviceHttpWorld,
  seedDeviceHttpWorld,
  TEMPLATE_NAME,
  withRealUplinks,
} from '../helpers/device-http.js';
import { type FakeDeviceApi, fakeDeviceApi } from '../helpers/fake-device-api.js';
import { type ApiWorld, errorMessage, openApiWorld, type WorldOptions } from '../helpers/http-api.js';
import { callerFor } from '../helpers/platform.js';

/** The Device HTTPS API (spec §6.2) through app.inject, on a fake device API runtime. */
interface World extends DeviceHttpWorld {
  readonly api: ApiWorld;
  readonly fake: FakeDeviceApi;
  get(path: string, query?: string, token?: string): Promise<LightMyRequestResponse>;
}

/**
 * `regionUrl`: this server's region URL (spec §2.5/§6.1 redirects); none by default. `limits`:
 * device API options other than the defaults (spec §7.1 limits).
 */
async function openWorld(
  t: TestContext,
  options: WorldOptions = {},
  regionUrl?: string,
  limits: Partial<DeviceApiOptions> = {},
): Promise<World> {
  let runtime: DeviceApiRuntime | undefined;
  const api = await openApiWorld(t, { ...options, deviceApi: () => runtime });
  const fake = fakeDeviceApi(api.platform);
  const real = withRealUplinks(fake, api.platform, api.clock, limits);
  runtime = {
    ...real,
    options: { ...real.options, ...(regionUrl === undefined ? {} : { regionUrl }) },
  };
  const seeded = await seedDeviceHttpWorld(api.platform, api.orgs.a.id);
  const get = (path: string, query = '', token = seeded.token) =>
    api.call({ method: 'GET', url: `/external/api/${path}?token=${token}${query}` });
  return { ...seeded, api, fake, get };
}

function assertError(response: LightMyRequestResponse, message: string, status = 400): void {
  assert.equal(response.statusCode, status, response.body);
  assert.deepEqual(response.json(), { error: { message } });
}

const NOT_IN_PRODUCT = `Requested dataStream doesn't exist in the product ${TEMPLATE_NAME}`;

test('spec §6.2 every endpoint: `No token provided.` without a token, `Invalid token.` for a bad one', async (t) => {
  const w = await openWorld(t);
  const gets = ['get', 'getAll', 'update', 'batch/update', 'update/property', 'logEvent', 'data/get'];
  const more = ['device/meta', 'device/meta/update', 'isHardwareConnected', 'provision'];
  for (const path of [...gets, ...more]) {
    assertError(await w.api.call({ method: 'GET', url: `/external/api/${path}?v1` }), 'No token provided.');
    assertError(
      await w.api.call({ method: 'GET', url: `/external/api/${path}?token=` }),
      'No token provided.',
    );
    assertError(await w.get(path, '&v1', 'x'.repeat(32)), 'Invalid token.');
    assertError(await w.get(path, '', 'short'), 'Invalid token.');
  }
  for (const path of ['batch/update', 'upload']) {
    const bad = await w.api.call({ method: 'POST', url: `/external/api/${path}?token=nope&pin=v1` });
    assertError(bad, 'Invalid token.');
    assertError(await w.api.call({ method: 'POST', url: `/external/api/${path}` }), 'No token provided.');
  }
});

test('spec §6.2 row 1 get: one pin answers plain text; the default before any write', async (t) => {
  const w = await openWorld(t);
  const fresh = await w.get('get', '&v1');
  assert.equal(fresh.statusCode, 200);
  assert.match(String(fresh.headers['content-type']), /^text\/plain/);
  assert.equal(fresh.body, '20');
  assert.equal((await w.get('get', '&v2')).body, '', 'no value and no default: empty');
  assert.equal((await w.get('update', '&v4=42&v3=30.5&v3=50.25&v5=1')).statusCode, 200);
  assert.equal((await w.get('get', '&V4')).body, '42');
  assert.equal((await w.get('get', `&dataStreamId=${w.ds.Power}`)).body, '42');
  assert.equal((await w.get('get', '&v3')).body, '[30.5,50.25]');
  assert.equal((await w.get('get', '&v5')).body, '1');
});

test('spec §6.2 row 2 get: several pins answer a typed JSON object keyed as asked', async (t) => {
  const w = await openWorld(t);
  await w.get('update', '&v2=hello&v4=7&v3=1&v3=2&v5=true');
  const response = await w.get('get', '&v1&V2&v3&v4&v5&v6');
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { v1: 20, V2: 'hello', v3: [1, 2], v4: 7, v5: true });
});

test('spec §6.2 rows 1–2 get errors: pin format, unknown pin, dataStreamId format', async (t) => {
  const w = await openWorld(t);
  assertError(await w.get('get'), 'Wrong pin format.');
  assertError(await w.get('get', '&x1'), 'Wrong pin format.');
  assertError(await w.get('get', '&v'), 'Wrong pin format.');
  assertError(await w.get('get', '&v1&pin'), 'Wrong pin format.');
  assertError(await w.get('get', '&v99'), NOT_IN_PRODUCT);
  assertError(await w.get('get', '&d3'), NOT_IN_PRODUCT);
  assertError(await w.get('get', '&a0'), NOT_IN_PRODUCT);
  assertError(await w.get('get', '&dataStreamId=999999'), NOT_IN_PRODUCT);
  assertError(await w.get('get', '&dataStreamId=abc'), 'Wrong dataStreamId format.');
});

test('spec §6.2 row 3 getAll: every datastream with a value, keyed v{pin}; Location as [lon, lat]', async (t) => {
  const w = await openWorld(t);
  assert.deepEqual((await w.get('getAll')).json(), { v1: 20 });
  await w.get('update', '&v3=24.03&v3=49.84&v6=2');
  assert.deepEqual((await w.get('getAll')).json(), { v1: 20, v3: [24.03, 49.84], v6: 2 });
});

test('spec §6.2 row 4 update: stored, typed and clamped (spec §3.5), sent as downlink/ds/NAME', async (t) => {
  const w = await openWorld(t);
  const response = await w.get('update', '&v4=500');
  assert.equal(response.statusCode, 200);
  assert.equal(response.body, '');
  assert.equal((await currentValues(w.api.platform, w.device.id)).get(w.ds.Power), 100);
  assert.deepEqual(w.fake.published.at(-1), {
    deviceId: w.device.id,
    topic: 'downlink/ds/Power',
    payload: '100',
    qos: 1,
  });
  await w.get('update', '&v6=9');
  assert.equal((await currentValues(w.api.platform, w.device.id)).get(w.ds.Mode), 0, 'enum fallback');
  await w.get('update', `&dataStreamId=${w.ds['Set Point']}&value=21.5`);
  await w.get('update', '&pin=V3&value=10&value=20');
  await w.get('update', `&dataStreamId=${w.ds.Label}&value=${encodeURIComponent('a b&c')}`);
  const values = await currentValues(w.api.platform, w.device.id);
  assert.equal(values.get(w.ds['Set Point']), 21.5);
  assert.deepEqual(values.get(w.ds.Position), [10, 20]);
  assert.equal(values.get(w.ds.Label), 'a b&c');
  assert.deepEqual(w.fake.published.at(-1)?.topic, 'downlink/ds/Label');
  assert.equal((await currentValues(w.api.platform, w.other.id)).size, 0, 'the other device is untouched');
});

test('spec §6.2 row 4 update errors: the exact texts; nothing stored', async (t) => {
  const w = await openWorld(t);
  assertError(await w.get('update'), 'Wrong pin format.');
  assertError(await w.get('update', '&x1=5'), 'Wrong pin format.');
  assertError(await w.get('update', '&value=5'), 'Wrong pin format.');
  assertError(await w.get('update', '&pin=q&value=5'), 'Wrong pin format.');
  assertError(await w.get('update', '&dataStreamId=x&value=5'), 'Wrong dataStreamId format.');
  assertError(await w.get('update', '&v4=12.5'), "Value doesn't match the Datastream data type.");
  assertError(await w.get('update', '&v4=abc'), "Value doesn't match the Datastream data type.");
  assertError(await w.get('update', '&v3=1'), "Value doesn't match the Datastream data type.");
  assertError(
    await w.get('update', `&dataStreamId=${w.ds.Power}`),
    "Value doesn't match the Datastream data type.",
  );
  assertError(await w.get('update', '&v99=1'), 'No datastream setup for that pin.');
  assertError(await w.get('update', '&d1=1'), 'No datastream setup for that pin.');
  assertError(await w.get('update', '&dataStreamId=999999&value=1'), 'No datastream setup for that pin.');
  assertError(await w.get('update', '&v4=1&v5=maybe'), "Value doesn't match the Datastream data type.");
  assert.equal((await currentValues(w.api.platform, w.device.id)).size, 0);
  assert.equal(w.fake.published.length, 0);
});

test('spec §6.2 row 5 GET batch/update: several datastreams at once; mismatch text without the dot', async (t) => {
  const w = await openWorld(t);
  const response = await w.get('batch/update', '&v1=22.5&v2=text&v5=0&V6=1');
  assert.equal(response.statusCode, 200);
  const values = await currentValues(w.api.platform, w.device.id);
  assert.deepEqual(
    [values.get(w.ds.Temperature), values.get(w.ds.Label), values.get(w.ds.Relay), values.get(w.ds.Mode)],
    [22.5, 'text', false, 1],
  );
  assert.deepEqual(
    w.fake.published.map((p) => p.topic),
    ['downlink/ds/Temperature', 'downlink/ds/Label', 'downlink/ds/Relay', 'downlink/ds/Mode'],
  );
  assertError(await w.get('batch/update', '&v1=1&zz=2'), 'Wrong pin format.');
  assertError(await w.get('batch/update', '&v1=warm'), "Value doesn't match the Datastream data type");
});

function postBatch(w: World, pin: string, body: string, type: string | undefined, token = w.token) {
  return w.api.call({
    method: 'POST',
    url: `/external/api/batch/update?token=${token}&pin=${pin}`,
    payload: body,
    headers: type === undefined ? {} : { 'content-type': type },
  });
}

test('spec §6.2 row 6 POST batch/update: timestamped points stored as history, nothing sent', async (t) => {
  const w = await openWorld(t);
  const now = w.api.clock.now();
  const body = JSON.stringify([
    [now - 3_000, 1.5],
    [now - 2_000, 2.5],
    [now - 1_000, 3.5],
  ]);
  const response = await postBatch(w, 'v1', body, 'application/json; charset=utf-8');
  assert.equal(response.statusCode, 200, response.body);
  assert.equal((await currentValues(w.api.platform, w.device.id)).get(w.ds.Temperature), 3.5);
  const history = await w.api.platform.devices.history(
    { orgId: w.device.orgId, actor: 'test' },
    w.device.id,
    {
      dataStreamId: w.ds.Temperature,
    },
  );
  assert.deepEqual(
    history.content.map((p) => [p.ts, p.value]),
    [
      [now - 1_000, 3.5],
      [now - 2_000, 2.5],
      [now - 3_000, 1.5],
    ],
  );
  assert.equal(w.fake.published.length, 0);
  const located = await postBatch(w, 'V3', JSON.stringify([[now, [32.12, 49.1]]]), 'application/json');
  assert.equal(located.statusCode, 200);
  assert.deepEqual((await currentValues(w.api.platform, w.device.id)).get(w.ds.Position), [32.12, 49.1]);
});

test('spec §6.2 row 6 POST batch/update errors: content type, size, age, pin, value', async (t) => {
  const w = await openWorld(t);
  const now = w.api.clock.now();
  const ok = JSON.stringify([[now, 1]]);
  assertError(await postBatch(w, 'v4', ok, undefined), 'Unknown content type.');
  assertError(await postBatch(w, 'v4', ok, 'text/plain'), 'Unknown content type.');
  assertError(await postBatch(w, 'v4', ok, 'application/x-www-form-urlencoded'), 'Unknown content type.');
  const many = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => [now - i, 1]));
  assertError(
    await postBatch(w, 'v4', many, 'application/json'),
    'Too much data in batch. Maximum batch size is 10000 points.',
  );
  const tenThousand = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => [now - i, i % 100]));
  assert.equal((await postBatch(w, 'v4', tenThousand, 'application/json')).statusCode, 200);
  const old = now - 32 * 86_400_000;
  const stale = await postBatch(w, 'v4', JSON.stringify([[old, 1]]), 'application/json');
  assert.equal(stale.statusCode, 400);
  assert.match(errorMessage(stale), /more than one month/);
  assertError(await postBatch(w, 'x', ok, 'application/json'), 'Wrong pin format.');
  assertError(await postBatch(w, 'v99', ok, 'application/json'), 'No datastream setup for that pin.');
  assertError(
    await postBatch(w, 'v4', JSON.stringify([[now, 'one']]), 'application/json'),
    "Value doesn't match the Datastream data type.",
  );
  assertError(
    await postBatch(w, 'v4', JSON.stringify({ a: 1 }), 'application/json'),
    'Request with incorrect parameters',
  );
  assertError(
    await postBatch(w, 'v4', JSON.stringify([[now]]), 'application/json'),
    'Request with incorrect parameters',
  );
});

test('spec §6.2 row 7 update/property: stored per datastream, multi-values repeated', async (t) => {
  const w = await openWorld(t);
  const response = await w.get('update/property', '&pin=v1&label=Indoor&color=%23FF0000');
  assert.equal(response.statusCode, 200);
  await w.get('update/property', '&pin=V6&labels=Off&labels=Heat&labels=Cool');
  const properties = await w.api.platform.devices.properties(w.device.id);
  const of = (ds: number, name: string) =>
    properties.find((p) => p.dataStreamId === ds && p.name === name)?.values;
  assert.deepEqual(of(w.ds.Temperature, 'label'), ['Indoor']);
  assert.deepEqual(of(w.ds.Temperature, 'color'), ['#FF0000']);
  assert.deepEqual(of(w.ds.Mode, 'labels'), ['Off', 'Heat', 'Cool']);
  assert.equal(w.fake.published.length, 0, 'properties are UI-side only (spec §8 #20)');
  assertError(await w.get('update/property', '&label=x'), 'Wrong pin format.');
  assertError(await w.get('update/property', '&pin=z1&label=x'), 'Wrong pin format.');
  assertError(await w.get('update/property', '&pin=v99&label=x'), 'No datastream setup for that pin.');
  assertError(await w.get('update/property', '&pin=v1'), 'Request with incorrect parameters');
  assertError(await w.get('update/property', '&pin=v1&bogus=1'), 'Request with incorrect parameters');
  assertError(
    await w.get('update/property', '&pin=v1&isDisabled=maybe'),
    "Value doesn't match the Datastream data type",
  );
  assert.equal((await w.get('update/property', '&pin=v1&isDisabled=1')).statusCode, 200);
  assertError(
    await w.get('update/property', `&pin=v1&label=${'x'.repeat(1001)}`),
    "Value doesn't match the Datastream data type",
  );
});

test('spec §6.2 row 8 logEvent: logged with the description or the default', async (t) => {
  const w = await openWorld(t);
  assert.equal((await w.get('logEvent', '&code=overheat&description=Boiler%20at%2095')).statusCode, 200);
  w.api.clock.advance(1000); // spec §7.1: at least 1 s between events of one code
  assert.equal((await w.get('logEvent', '&code=overheat')).statusCode, 200);
  const caller = { orgId: w.device.orgId, actor: 'test' };
  const events = await w.api.platform.devices.events(caller, w.device.id, {});
  assert.deepEqual(events.content.map((e) => e.description).sort(), ['Boiler at 95', 'Too hot']);
  assertError(await w.get('logEvent'), 'Event code is not provided.');
  assertError(await w.get('logEvent', '&code='), 'Event code is not provided.');
  assertError(
    await w.get('logEvent', '&code=Overheat'),
    "Can't find Event with this code in Product template",
  );
  const long = await w.get('logEvent', `&code=overheat&description=${'x'.repeat(301)}`);
  assertError(long, 'Event description longer than 300 characters');
});

test('spec §6.2 row 10 device/meta: {type, value} by id or exact name; loc.latlon', async (t) => {
  const w = await openWorld(t);
  assert.deepEqual((await w.get('device/meta', `&metaFieldId=${w.meta.Serial}`)).json(), {
    type: 'Text',
    value: 'none',
  });
  assert.deepEqual((await w.get('device/meta', '&metaFieldName=Device%20Name')).json(), {
    type: 'DeviceName',
    value: 'HTTP Device',
  });
  await w.api.platform.devices.setMetaValue(w.device.id, w.meta.Location, '50.45,30.52');
  assert.deepEqual((await w.get('device/meta', '&metaFieldId=loc.latlon')).json(), {
    type: 'Location',
    value: '50.45 30.52',
  });
  assertError(await w.get('device/meta'), 'Wrong metaField format.');
  assertError(await w.get('device/meta', '&metaFieldId=abc'), 'Wrong metaField format.');
  assertError(await w.get('device/meta', '&metaFieldId=999999'), "MetaField doesn't exist.");
  assertError(await w.get('device/meta', '&metaFieldName=serial'), "MetaField doesn't exist.");
});

test('spec §6.2 row 11 device/meta/update: checked per type, stored, sent as downlink/meta/NAME', async (t) => {
  const w = await openWorld(t);
  assert.equal((await w.get('device/meta/update', `&metaFieldId=${w.meta.Floor}&value=3`)).statusCode, 200);
  assert.equal((await w.get('device/meta/update', '&metaFieldName=Serial&value=SN-1')).statusCode, 200);
  const stored = await w.api.platform.devices.metaValues(w.device.id);
  assert.equal(stored.find((m) => m.metaFieldId === w.meta.Floor)?.value, '3');
  assert.equal(stored.find((m) => m.metaFieldId === w.meta.Serial)?.value, 'SN-1');
  assert.deepEqual(
    w.fake.published.map((p) => [p.topic, p.payload]),
    [
      ['downlink/meta/Floor', '3'],
      ['downlink/meta/Serial', 'SN-1'],
    ],
  );
  assertError(await w.get('device/meta/update', '&value=1'), 'Wrong metaField format');
  assertError(await w.get('device/meta/update', '&metaFieldId=x&value=1'), 'Wrong metaField format');
  assertError(await w.get('device/meta/update', '&metaFieldId=999999&value=1'), "MetaField doesn't exist");
  assertError(await w.get('device/meta/update', '&metaFieldName=Nope&value=1'), "MetaField doesn't exist");
  assertError(await w.get('device/meta/update', `&metaFieldId=${w.meta.Floor}&value=eleven`), 'Wrong value');
  assertError(await w.get('device/meta/update', `&metaFieldId=${w.meta.Floor}&value=11`), 'Wrong value');
  assertError(await w.get('device/meta/update', `&metaFieldId=${w.meta.Floor}`), 'Wrong value');
  // spec §5.5: Device Name is not among the types a device writes.
  assertError(await w.get('device/meta/update', '&metaFieldName=Device%20Name&value=Renamed'), 'Wrong value');
});

test('spec §6.2 row 12 isHardwareConnected: false, then true once the device reported data (spec §5.10)', async (t) => {
  const w = await openWorld(t);
  const before = await w.get('isHardwareConnected');
  assert.equal(before.statusCode, 200);
  assert.equal(before.body, 'false');
  await w.get('update', '&v4=1');
  assert.equal((await w.get('isHardwareConnected')).body, 'true');
  assert.equal((await w.get('isHardwareConnected', '', w.otherToken)).body, 'false');
});

test('spec §6.2 row 13 / §5.9 provision: activates a PENDING device and records its hardware info', async (t) => {
  const w = await openWorld(t);
  const query = `&templateId=${w.template.templateId}&ver=1.2.3&build=Mar%2019%202026&fwType=TMPLx&blVer=1.3&boType=ESP32&type=MCU`;
  const response = await w.get('provision', query, w.pendingToken);
  assert.equal(response.statusCode, 200);
  const device = await w.api.platform.devices.byId(w.pending.id);
  assert.equal(device?.status, 'ACTIVATED');
  assert.deepEqual(device?.hardwareInfo, {
    version: '1.2.3',
    fwType: 'TMPLx',
    blynkVersion: '1.3',
    boardType: 'ESP32',
    build: 'Mar 19 2026',
    templateId: w.template.templateId,
  });
  assert.equal((await w.get('provision', '&ver=2.0')).statusCode, 200);
  const created = await w.api.platform.devices.byId(w.device.id);
  assert.equal(created?.status, 'CREATED', 'only a PENDING device is activated');
  assert.equal(created?.hardwareInfo?.version, '2.0');
});

test('spec §6.2 row 14 upload: token checked; without an upload store, refused (403)', async (t) => {
  const w = await openWorld(t);
  const upload = (token: string) =>
    w.api.call({
      method: 'POST',
      url: `/external/api/upload?token=${token}`,
      payload:
        '--x\r\ncontent-disposition: form-data; name="upfile"; filename="a.txt"\r\n\r\nhi\r\n--x--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
  assertError(await upload('bad'), 'Invalid token.');
  assertError(await upload(w.token), 'File uploads limit has been reached.', 403);
});

test('spec §6.1 wrong region: 308 to the same path and query on the home region, empty body', async (t) => {
  const w = await openWorld(t, {}, 'https://here.example.com');
  assert.equal((await w.get('get', '&v1')).body, '20', 'no home region set: served here');
  const caller = callerFor(w.api.orgs.root.id);
  await w.api.platform.orgs.update(caller, w.api.orgs.root.id, { homeRegionUrl: 'https://here.example.com' });
  assert.equal((await w.get('get', '&v1')).statusCode, 200, 'home is this region');
  await w.api.platform.orgs.update(caller, w.api.orgs.a.id, {
    homeRegionUrl: 'https://fra1.example.com:9443',
  });
  const moved = await w.get('update', '&v4=5');
  assert.equal(moved.statusCode, 308);
  assert.equal(moved.body, '');
  assert.equal(
    moved.headers.location,
    `https://fra1.example.com:9443/external/api/update?token=${w.token}&v4=5`,
  );
  assert.equal((await currentValues(w.api.platform, w.device.id)).size, 0, 'nothing written here');
  assertError(await w.get('get', '&v1', 'x'.repeat(32)), 'Invalid token.');
});

test('spec §6.1 paths and parameter names are case-sensitive', async (t) => {
  const w = await openWorld(t);
  assert.equal((await w.get('GET', '&v1')).statusCode, 404);
  assert.equal(
    (await w.api.call({ method: 'GET', url: `/external/api/get?Token=${w.token}&v1` })).statusCode,
    400,
  );
});

test('spec §9 tokens and secrets: the device token never reaches the log', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const w = await openWorld(t, { logger: pino({ level: 'trace' }, sink) });
  await w.get('update', '&v4=1');
  await w.get('get', '&v99');
  await w.get('nope', '&v1');
  await w.get('data/get', '&output=JSON&period=HOUR');
  await postBatch(w, 'v1', '{', 'application/json');
  assert.ok(lines.length > 0, 'the requests were logged');
  for (const line of lines) assert.ok(!line.includes(w.token), `token in log line ${line}`);
});

test('spec §8 #16 Device HTTPS API writes take from the device rate its MQTT uplinks use: over it 429', async (t) => {
  const w = await openWorld(t, {}, undefined, { rateLimitPerSec: 1, rateLimitBurst: 3 });
  assert.equal((await w.get('get', '&v1')).statusCode, 200, 'reads are not limited');
  assert.equal((await w.get('update', '&v4=1')).statusCode, 200);
  assert.equal((await w.get('update/property', '&pin=v1&label=Hall')).statusCode, 200);
  assert.equal((await w.get('logEvent', '&code=overheat')).statusCode, 200);
  for (const [path, query] of [
    ['update', '&v4=2'],
    ['batch/update', '&v4=2'],
    ['logEvent', '&code=overheat'],
    ['device/meta/update', '&metaFieldName=Serial&value=SN'],
    ['provision', ''],
  ] as const) {
    assertError(
      await w.get(path, query),
      'Too many requests for this device: at most 1 messages per second.',
      429,
    );
  }
  assert.equal((await w.get('getAll')).statusCode, 200, 'reads still answer');
  assert.equal(
    (await w.get('update', '&v4=3', w.otherToken)).statusCode,
    200,
    'another device is not held back',
  );
  w.api.clock.advance(1000);
  assert.equal((await w.get('update', '&v4=4')).statusCode, 200);
  assert.equal((await currentValues(w.api.platform, w.device.id)).get(w.ds.Power), 4);
});

test('spec §7.1 logEvent: the event limits answer 400 with the reason', async (t) => {
  const w = await openWorld(t, {}, undefined, { eventsPerDay: 2 });
  assert.equal((await w.get('logEvent', '&code=overheat')).statusCode, 200);
  assertError(
    await w.get('logEvent', '&code=overheat'),
    'Event "overheat" refused: at most one every 1 s for the same code',
  );
  w.api.clock.advance(1000);
  assert.equal((await w.get('logEvent', '&code=overheat')).statusCode, 200);
  w.api.clock.advance(1000);
  assertError(
    await w.get('logEvent', '&code=overheat'),
    'Event limit reached: at most 2 events per device per day',
  );
  const caller = { orgId: w.device.orgId, actor: 'test' };
  assert.equal((await w.api.platform.devices.events(caller, w.device.id, {})).content.length, 2);
});

test('spec §6.2/§7.1 update calls and imported points per device per day: 400 over the limit', async (t) => {
  const w = await openWorld(t, {}, undefined, { httpUpdatesPerDay: 2, importPointsPerDay: 3 });
  assert.equal((await w.get('update', '&v4=1')).statusCode, 200);
  assert.equal((await w.get('batch/update', '&v4=2&v1=3')).statusCode, 200);
  assertError(
    await w.get('update', '&v4=3'),
    'Too many update requests for this device today: at most 2 per day.',
  );
  assert.equal((await w.get('update', '&v4=3', w.otherToken)).statusCode, 200);
  const now = w.api.clock.now();
  const points = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => [now - i, i]));
  assert.equal((await postBatch(w, 'v4', points(2), 'application/json')).statusCode, 200);
  const over = await postBatch(w, 'v4', points(2), 'application/json');
  assertError(over, 'Too many points imported for this device today: at most 3 per day.');
  assert.equal((await postBatch(w, 'v4', points(1), 'application/json')).statusCode, 200);
  w.api.clock.advance(86_400_000);
  assert.equal((await w.get('update', '&v4=5')).statusCode, 200);
});
