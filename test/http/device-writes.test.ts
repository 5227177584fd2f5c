import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { PingLog } from '../../src/http/ping-log.js';
import type { Device } from '../../src/platform/model.js';
import { type FakeDeviceApi, fakeDeviceApi } from '../helpers/fake-device-api.js';
import { type ApiWorld, errorMessage, openApiWorld } from '../helpers/http-api.js';
import { callerFor } from '../helpers/platform.js';

const base = '/api/v1/organization/device';
const notFound = (id: number) =>
  `Device with identifier ${id} is not found or belong to another organization.`;

interface WriteWorld {
  readonly world: ApiWorld;
  /** undefined when the world was opened without a device API (broker not running). */
  readonly fake: FakeDeviceApi | undefined;
  readonly ds: Record<'Temperature' | 'Label' | 'Position', number>;
  readonly serial: number;
  readonly deviceName: number;
  /** The root template's `overheat` event (description `Too hot`). */
  readonly eventId: number;
  post(url: string, payload: unknown): ReturnType<ApiWorld['call']>;
}

async function openWriteWorld(t: TestContext, ready = true): Promise<WriteWorld> {
  let fake: FakeDeviceApi | undefined;
  const world = await openApiWorld(t, { deviceApi: () => fake?.runtime });
  if (ready) fake = fakeDeviceApi(world.platform);
  const template = await world.platform.templates.update(
    callerFor(world.orgs.root.id),
    world.rootTemplate.id,
    { events: [{ code: 'overheat', name: 'Overheat', description: 'Too hot' }] },
  );
  const id = (name: string) => {
    const ds = template.datastreams.find((d) => d.name === name);
    if (ds === undefined) throw new Error(name);
    return ds.id;
  };
  const meta = (name: string) => template.metaFields.find((f) => f.name === name)?.id ?? 0;
  const admin = await world.client(world.orgs.root);
  return {
    world,
    fake,
    ds: { Temperature: id('Temperature'), Label: id('Label'), Position: id('Position') },
    serial: meta('Serial'),
    deviceName: meta('Device Name'),
    eventId: template.events[0]?.id ?? 0,
    post: (url, payload) =>
      world.call({ method: 'POST', url: base + url, payload: payload as object, as: admin }),
  };
}

async function values(w: WriteWorld, device = w.world.aDevice.id) {
  return new Map(
    (await w.world.platform.devices.currentValues(device)).map((v) => [v.dataStreamId, v.value]),
  );
}

test('spec §6.4 POST device/datastream: 204, stored, sent to the device as downlink/ds/NAME', async (t) => {
  const w = await openWriteWorld(t);
  const device = w.world.aDevice.id;
  const response = await w.post('/datastream', {
    deviceId: device,
    dataStreamId: w.ds.Temperature,
    value: 21.5,
  });
  assert.equal(response.statusCode, 204, response.body);
  assert.equal(response.body, '');
  assert.equal((await values(w)).get(w.ds.Temperature), 21.5);
  assert.deepEqual(w.fake?.published, [
    { deviceId: device, topic: 'downlink/ds/Temperature', payload: '21.5', qos: 1 },
  ]);
  const location = await w.post('/datastream', {
    deviceId: device,
    dataStreamId: w.ds.Position,
    value: [30.5, 50.4],
  });
  assert.equal(location.statusCode, 204);
  assert.equal(w.fake?.published[1]?.payload, '30.5\u000050.4');
});

test('spec §6.4 POST device/datastream errors: unknown datastream, value typing reason, missing fields', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const cases: Array<[unknown, number, string]> = [
    [{ deviceId, dataStreamId: 999, value: 1 }, 404, 'Data stream with identifier 999 is not found!'],
    [
      { deviceId, dataStreamId: w.ds.Temperature, value: 'abc' },
      400,
      'Value "abc" does not match type Double for datastream "Temperature"',
    ],
    [
      { deviceId, dataStreamId: w.ds.Position, value: { lon: 1 } },
      400,
      'Value {"lon":1} does not match type Location for datastream "Position"',
    ],
    [{ deviceId, dataStreamId: w.ds.Temperature }, 400, "Missing required body field 'value'."],
    [{ deviceId, dataStreamId: w.ds.Temperature, value: 1, x: 1 }, 400, "Unknown body field 'x'."],
    [{ deviceId: 987_654, dataStreamId: w.ds.Temperature, value: 1 }, 404, notFound(987_654)],
  ];
  for (const [payload, status, message] of cases) {
    const response = await w.post('/datastream', payload);
    assert.equal(response.statusCode, status, JSON.stringify(payload));
    assert.equal(errorMessage(response), message);
  }
  assert.deepEqual(w.fake?.published, []);
  assert.equal((await values(w)).size, 0);
});

test('spec §6.4 POST device/datastreams: values keyed by datastream id, all or nothing', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const ok = await w.post('/datastreams', {
    deviceId,
    values: { [w.ds.Temperature]: 19, [w.ds.Label]: 'kitchen' },
  });
  assert.equal(ok.statusCode, 204, ok.body);
  assert.deepEqual(w.fake?.published.map((p) => `${p.topic}=${p.payload}`).sort(), [
    'downlink/ds/Label=kitchen',
    'downlink/ds/Temperature=19',
  ]);
  const unknown = await w.post('/datastreams', { deviceId, values: { [w.ds.Label]: 'x', 4242: 1 } });
  assert.equal(unknown.statusCode, 404);
  assert.equal(errorMessage(unknown), 'Data stream with identifier 4242 is not found!');
  const badKey = await w.post('/datastreams', { deviceId, values: { v1: 1 } });
  assert.equal(badKey.statusCode, 400);
  const empty = await w.post('/datastreams', { deviceId, values: {} });
  assert.equal(empty.statusCode, 400);
  assert.equal((await values(w)).get(w.ds.Label), 'kitchen');
  assert.equal(w.fake?.published.length, 2);
});

test('spec §6.4 device API not running: value writes and commands 503, stored-only writes work', async (t) => {
  const w = await openWriteWorld(t, false);
  const deviceId = w.world.aDevice.id;
  const unavailable = [
    await w.post('/datastream', { deviceId, dataStreamId: w.ds.Temperature, value: 1 }),
    await w.post('/datastreams', { deviceId, values: { [w.ds.Temperature]: 1 } }),
    await w.post(`/ping?deviceId=${deviceId}`, undefined),
    await w.post(`/reboot?deviceId=${deviceId}`, undefined),
    await w.post(`/reconfigure?deviceId=${deviceId}`, undefined),
  ];
  for (const response of unavailable) {
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { error: { message: 'Device API not ready.' } });
  }
  const meta = await w.post('/metafield', { deviceId, metaFieldId: w.serial, newValue: 'SN-1' });
  assert.equal(meta.statusCode, 204, meta.body);
  const stored = await w.world.platform.devices.metaValues(deviceId);
  assert.equal(stored.find((m) => m.metaFieldId === w.serial)?.value, 'SN-1');
});

test('spec §5.7 POST device/datastream/property: stored (lists, numbers, booleans), never sent', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const dataStreamId = w.ds.Temperature;
  const sets: Array<[string, unknown]> = [
    ['label', 'Inside'],
    ['isDisabled', true],
    ['max', 40],
    ['labels', ['Low', 'High']],
  ];
  for (const [property, value] of sets) {
    const response = await w.post('/datastream/property', { deviceId, dataStreamId, property, value });
    assert.equal(response.statusCode, 204, response.body);
  }
  const props = await w.world.platform.devices.properties(deviceId);
  assert.deepEqual(Object.fromEntries(props.map((p) => [p.name, p.values])), {
    isDisabled: ['true'],
    label: ['Inside'],
    labels: ['Low', 'High'],
    max: ['40'],
  });
  assert.deepEqual(w.fake?.published, []);
  const unknown = await w.post('/datastream/property', {
    deviceId,
    dataStreamId: 77,
    property: 'label',
    value: 'x',
  });
  assert.equal(unknown.statusCode, 404);
  assert.equal(errorMessage(unknown), 'Data stream with identifier 77 is not found!');
  const nested = await w.post('/datastream/property', {
    deviceId,
    dataStreamId,
    property: 'label',
    value: { a: 1 },
  });
  assert.equal(nested.statusCode, 400);
  assert.equal(
    errorMessage(nested),
    'Property value must be a string, number or boolean, or an array of them.',
  );
});

test('spec §3.3 POST device/metafield: stored and pushed as downlink/meta/NAME; Device Name renames', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const set = await w.post('/metafield', { deviceId, metaFieldId: w.serial, newValue: 'SN-42' });
  assert.equal(set.statusCode, 204, set.body);
  assert.deepEqual(w.fake?.published, [
    { deviceId, topic: 'downlink/meta/Serial', payload: 'SN-42', qos: 1 },
  ]);
  const renamed = await w.post('/metafield', {
    deviceId,
    metaFieldId: w.deviceName,
    newValue: 'Hall Sensor',
  });
  assert.equal(renamed.statusCode, 204, renamed.body);
  assert.equal((await w.world.platform.devices.byId(deviceId))?.name, 'Hall Sensor');
  assert.equal(w.fake?.published[1]?.topic, 'downlink/meta/Device Name');
  const cases: Array<[unknown, number, string]> = [
    [{ deviceId, metaFieldId: 999, newValue: 'x' }, 404, 'Meta field is not found.'],
    [
      { deviceId, metaFieldId: w.serial, newValue: 'x'.repeat(256) },
      400,
      'The provided value for metafield is invalid.',
    ],
    [
      { deviceId, metaFieldId: w.serial, newValue: ['x'] },
      400,
      'The provided value for metafield is invalid.',
    ],
    [
      { deviceId, metaFieldId: w.serial, newValue: null },
      400,
      'The provided value for metafield is invalid.',
    ],
  ];
  for (const [payload, status, message] of cases) {
    const response = await w.post('/metafield', payload);
    assert.equal(response.statusCode, status, JSON.stringify(payload));
    assert.equal(errorMessage(response), message);
  }
  assert.equal(w.fake?.published.length, 2);
});

test('spec §5.6 POST device/trigger-event: logged with the given or default description; limits', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const caller = callerFor(w.world.orgs.root.id);
  const given = await w.post('/trigger-event', {
    deviceId,
    eventCode: 'overheat',
    eventDescription: '81 °C',
  });
  assert.equal(given.statusCode, 204, given.body);
  w.world.clock.advance(1000);
  const fallback = await w.post('/trigger-event', { deviceId, eventCode: 'overheat' });
  assert.equal(fallback.statusCode, 204);
  const logged = await w.world.platform.devices.events(caller, deviceId, {});
  assert.deepEqual(
    logged.content.map((e) => [e.eventId, e.code, e.description]),
    [
      [w.eventId, 'overheat', 'Too hot'],
      [w.eventId, 'overheat', '81 °C'],
    ],
  );
  const cases: Array<[unknown, number, string]> = [
    [{ deviceId, eventCode: 'flood' }, 404, 'Event with provided code is not found.'],
    [
      { deviceId, eventCode: 'overheat', eventDescription: 'x'.repeat(301) },
      400,
      "Body field 'eventDescription' must NOT have more than 300 characters.",
    ],
    [
      { deviceId, eventCode: 'c'.repeat(800), eventDescription: 'x'.repeat(300) },
      400,
      'Event code and description together must be at most 1024 characters.',
    ],
  ];
  for (const [payload, status, message] of cases) {
    const response = await w.post('/trigger-event', payload);
    assert.equal(response.statusCode, status);
    assert.equal(errorMessage(response), message);
  }
});

test('spec §6.4 POST device/import/batch: history within a month, typed, at most 10000, no downlink', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const dataStreamId = w.ds.Temperature;
  const now = w.world.clock.now();
  const day = 86_400_000;
  const points = [
    { value: 18, ts: now - 29 * day },
    { value: '18.5', ts: now - 2 * day },
    { value: 19, ts: now - day },
  ];
  const ok = await w.post('/import/batch', { deviceId, dataStreamId, values: points });
  assert.equal(ok.statusCode, 204, ok.body);
  const caller = callerFor(w.world.orgs.root.id);
  const history = await w.world.platform.devices.history(caller, deviceId, { dataStreamId });
  assert.deepEqual(
    history.content.map((p) => [p.ts, p.value]),
    [
      [now - day, 19],
      [now - 2 * day, 18.5],
      [now - 29 * day, 18],
    ],
  );
  assert.equal((await values(w)).get(dataStreamId), 19);
  assert.deepEqual(w.fake?.published, []);
  const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ value: 1, ts: now - i }));
  const cases: Array<[unknown, number, string]> = [
    [
      { deviceId, dataStreamId, values: tooMany },
      400,
      'Too much data in batch. Maximum batch size is 10000 points.',
    ],
    [
      { deviceId, dataStreamId, values: [{ value: 1, ts: now - 32 * day }] },
      400,
      `values[0].ts ${now - 32 * day} is more than one month away from now.`,
    ],
    [
      {
        deviceId,
        dataStreamId,
        values: [
          { value: 1, ts: now },
          { value: true, ts: now },
        ],
      },
      400,
      'values[1]: Value true does not match type Double for datastream "Temperature".',
    ],
    [
      { deviceId, dataStreamId: 31337, values: [{ value: 1, ts: now }] },
      404,
      'Data stream with identifier 31337 is not found!',
    ],
    [{ deviceId, dataStreamId, values: [{ value: 1 }] }, 400, "Missing required body field 'values[0].ts'."],
  ];
  for (const [payload, status, message] of cases) {
    const response = await w.post('/import/batch', payload);
    assert.equal(response.statusCode, status);
    assert.equal(errorMessage(response), message);
  }
  assert.equal((await w.world.platform.devices.history(caller, deviceId, { dataStreamId })).totalElements, 3);
});

test('spec §6.4 DELETE device/clear: values, history, properties and events erased; metadata kept', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  const devices = w.world.platform.devices;
  const caller = callerFor(w.world.orgs.root.id);
  await devices.writeValues(deviceId, [{ dataStreamId: w.ds.Label, value: 'x' }]);
  await devices.setProperty(deviceId, w.ds.Label, 'color', ['#ff0000']);
  await devices.setMetaValue(deviceId, w.serial, 'SN-7');
  await devices.logEvent(deviceId, w.eventId, 'hot');
  const response = await w.world.call({
    method: 'DELETE',
    url: `${base}/clear?deviceId=${deviceId}`,
    as: await w.world.client(w.world.orgs.a),
  });
  assert.equal(response.statusCode, 204, response.body);
  assert.deepEqual(await devices.currentValues(deviceId), []);
  assert.equal((await devices.history(caller, deviceId, { dataStreamId: w.ds.Label })).totalElements, 0);
  assert.deepEqual(await devices.properties(deviceId), []);
  assert.equal((await devices.events(caller, deviceId, {})).totalElements, 0);
  assert.equal((await devices.metaValues(deviceId)).find((m) => m.metaFieldId === w.serial)?.value, 'SN-7');
  assert.deepEqual(w.fake?.published, []);
});

test('spec §3.3 downlink/ping via the Platform API: {connected, rttMs}; /device/online shows the last RTT', async (t) => {
  const w = await openWriteWorld(t);
  const fake = w.fake as FakeDeviceApi;
  const deviceId = w.world.aDevice.id;
  const admin = await w.world.client(w.world.orgs.root);
  const read = async () =>
    (await w.world.call({ url: `${base}/online?deviceId=${deviceId}`, as: admin })).json();
  assert.deepEqual(await read(), { connected: false, lastPingRttMs: null });
  fake.online.add(deviceId);
  fake.pingAnswer = 12.5;
  const answered = await w.post(`/ping?deviceId=${deviceId}`, undefined);
  assert.equal(answered.statusCode, 200, answered.body);
  assert.deepEqual(answered.json(), { connected: true, rttMs: 12.5 });
  assert.deepEqual(await read(), { connected: true, lastPingRttMs: 12.5 });
  fake.pingAnswer = undefined;
  const silent = await w.post(`/ping?deviceId=${deviceId}`, undefined);
  assert.deepEqual(silent.json(), { connected: true, rttMs: null });
  assert.deepEqual(await read(), { connected: true, lastPingRttMs: null });
  fake.online.delete(deviceId);
  const gone = await w.post(`/ping?deviceId=${deviceId}`, undefined);
  assert.deepEqual(gone.json(), { connected: false, rttMs: null });
  // Cluster: held by another node that did not answer the ping in time.
  fake.elsewhere.add(deviceId);
  const elsewhere = await w.post(`/ping?deviceId=${deviceId}`, undefined);
  assert.deepEqual(elsewhere.json(), { connected: true, rttMs: null, otherNode: true });
  assert.deepEqual(fake.pinged, [deviceId, deviceId, deviceId, deviceId]);
});

test('spec §3.3 device commands: reboot and reconfigure send empty downlinks, 204', async (t) => {
  const w = await openWriteWorld(t);
  const deviceId = w.world.aDevice.id;
  for (const command of ['reboot', 'reconfigure']) {
    const response = await w.post(`/${command}?deviceId=${deviceId}`, undefined);
    assert.equal(response.statusCode, 204, response.body);
  }
  assert.deepEqual(w.fake?.published, [
    { deviceId, topic: 'downlink/reboot', payload: '', qos: 1 },
    { deviceId, topic: 'downlink/reconfigure', payload: '', qos: 1 },
  ]);
  const missing = await w.post('/reboot', undefined);
  assert.equal(missing.statusCode, 400);
  assert.equal(errorMessage(missing), "Missing required query parameter 'deviceId'.");
});

/** Every endpoint of this area, aimed at one device. */
function endpoints(w: WriteWorld, deviceId: number): InjectOptions[] {
  const ts = w.world.clock.now();
  const ds = w.ds.Temperature;
  const post = (url: string, payload?: object): InjectOptions => ({
    method: 'POST',
    url: base + url,
    ...(payload === undefined ? {} : { payload }),
  });
  return [
    post('/datastream', { deviceId, dataStreamId: ds, value: 1 }),
    post('/datastreams', { deviceId, values: { [ds]: 1 } }),
    post('/datastream/property', { deviceId, dataStreamId: ds, property: 'label', value: 'x' }),
    post('/metafield', { deviceId, metaFieldId: w.serial, newValue: 'x' }),
    post('/trigger-event', { deviceId, eventCode: 'overheat' }),
    post('/import/batch', { deviceId, dataStreamId: ds, values: [{ value: 1, ts }] }),
    { method: 'DELETE', url: `${base}/clear?deviceId=${deviceId}` },
    post(`/ping?deviceId=${deviceId}`),
    post(`/reboot?deviceId=${deviceId}`),
    post(`/reconfigure?deviceId=${deviceId}`),
    { method: 'GET', url: `${base}/online?deviceId=${deviceId}` },
  ];
}

async function deviceIn(w: WriteWorld, orgId: number, name: string): Promise<Device> {
  const caller = callerFor(orgId);
  return (await w.world.platform.devices.create(caller, { templateId: w.world.rootTemplate.id, name }))
    .device;
}

test('spec §6.4 scope: a sub-org caller gets the same 404 for parent, sibling and missing devices', async (t) => {
  const w = await openWriteWorld(t);
  const fake = w.fake as FakeDeviceApi;
  fake.pingAnswer = 3;
  const { orgs } = w.world;
  const a2 = await w.world.platform.orgs.create(callerFor(orgs.root.id), {
    name: 'Org A2',
    parentOrganizationId: orgs.a.id,
  });
  const sibling = await deviceIn(w, a2.id, 'Sibling Device');
  const own = await deviceIn(w, orgs.a1.id, 'Own Device');
  const a1Client = await w.world.client(orgs.a1);
  const missing = 2_000_000_000;
  for (const target of [w.world.aDevice.id, sibling.id, w.world.bDevice.id, missing]) {
    for (const request of endpoints(w, target)) {
      const response = await w.world.call({ ...request, as: a1Client });
      const what = `${request.method} ${request.url} on ${target}`;
      assert.equal(response.statusCode, 404, what);
      assert.equal(response.body, JSON.stringify({ error: { message: notFound(target) } }), what);
    }
  }
  assert.deepEqual(fake.published, []);
  assert.deepEqual(fake.pinged, []);
  assert.deepEqual(await w.world.platform.devices.currentValues(w.world.aDevice.id), []);
  // The same calls on the caller's own device (and from the parent org) succeed.
  for (const as of [a1Client, await w.world.client(orgs.a)]) {
    for (const request of endpoints(w, own.id)) {
      const response = await w.world.call({ ...request, as });
      assert.ok(
        response.statusCode === 200 || response.statusCode === 204,
        `${request.url}: ${response.body}`,
      );
    }
  }
  assert.equal(fake.pinged.length, 2);
});

test('spec §6.4 scope: a connected device (in the device cache) is still a 404 for a caller outside its org', async (t) => {
  const w = await openWriteWorld(t);
  const fake = w.fake as FakeDeviceApi;
  const { orgs, platform } = w.world;
  const created = await platform.devices.create(callerFor(orgs.b.id), {
    templateId: w.world.rootTemplate.id,
    name: 'Connected B Device',
  });
  // A device login puts the device in the cache the write routes read first.
  assert.equal((await platform.devices.authenticateToken(created.token))?.id, created.device.id);
  const payload = { deviceId: created.device.id, dataStreamId: w.ds.Temperature, value: 7 };
  const url = `${base}/datastream`;
  for (const org of [orgs.a, orgs.a1]) {
    const response = await w.world.call({ method: 'POST', url, payload, as: await w.world.client(org) });
    assert.equal(response.statusCode, 404, org.name);
    assert.equal(response.body, JSON.stringify({ error: { message: notFound(created.device.id) } }));
  }
  assert.deepEqual(fake.published, []);
  const own = await w.world.call({ method: 'POST', url, payload, as: await w.world.client(orgs.b) });
  assert.equal(own.statusCode, 204, own.body);
  assert.equal((await values(w, created.device.id)).get(w.ds.Temperature), 7);
});

test('ping log: last outcome per device, least recently pinged evicted beyond the limit', () => {
  const log = new PingLog(2);
  log.record(1, 10);
  log.record(2, 20);
  log.record(1, 11);
  log.record(3, undefined);
  assert.equal(log.size, 2);
  assert.equal(log.lastRttMs(1), 11);
  assert.equal(log.lastRttMs(2), null);
  assert.equal(log.lastRttMs(3), null);
});
