import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorMessage, openApiWorld } from '../helpers/http-api.js';

function dsId(world: Awaited<ReturnType<typeof openApiWorld>>, name: string): number {
  const ds = world.rootTemplate.datastreams.find((d) => d.name === name);
  if (ds === undefined) throw new Error(`no datastream ${name}`);
  return ds.id;
}

test('spec §6.4 datastream history by dataStreamId or pin, with from/to and paging', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const device = world.aDevice.id;
  const temperature = dsId(world, 'Temperature');
  const base = 1_700_000_000_000;
  for (let i = 0; i < 5; i++) {
    await world.platform.devices.writeValues(device, [
      { dataStreamId: temperature, value: 20 + i, ts: base + i * 1000 },
    ]);
  }
  const byId = await world.call({
    url: `/api/v1/organization/device/datastream/history?deviceId=${device}&dataStreamId=${temperature}`,
    as: admin,
  });
  assert.equal(byId.statusCode, 200, byId.body);
  const body = byId.json();
  assert.equal(body.totalElements, 5);
  assert.deepEqual(Object.keys(body.content[0]).sort(), ['createdAt', 'value']);
  assert.deepEqual(body.content.map((p: { value: number }) => p.value).sort(), [20, 21, 22, 23, 24]);
  const byPin = await world.call({
    url: `/api/v1/organization/device/datastream/history?deviceId=${device}&pin=v1`,
    as: admin,
  });
  assert.deepEqual(byPin.json(), body);
  const windowed = await world.call({
    url: `/api/v1/organization/device/datastream/history?deviceId=${device}&pin=V1&from=${base + 1000}&to=${base + 3000}&page=0&size=2`,
    as: admin,
  });
  assert.equal(windowed.statusCode, 200);
  assert.equal(windowed.json().content.length, 2);
  assert.ok(windowed.json().totalElements >= 2 && windowed.json().totalElements <= 3);
  for (const point of windowed.json().content)
    assert.ok(point.createdAt >= base + 1000 && point.createdAt <= base + 3000);
});

test('spec §6.4 history input errors: neither or both selectors, bad pin, unknown datastream', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const url = `/api/v1/organization/device/datastream/history?deviceId=${world.aDevice.id}`;
  const cases: Array<[string, number, string]> = [
    ['', 400, "Exactly one of 'dataStreamId' or 'pin' is required."],
    ['&pin=v1&dataStreamId=1', 400, "Exactly one of 'dataStreamId' or 'pin' is required."],
    ['&pin=x1', 400, 'Wrong pin format.'],
    ['&pin=v99', 404, 'Data stream with identifier v99 is not found!'],
    ['&dataStreamId=999', 404, 'Data stream with identifier 999 is not found!'],
  ];
  for (const [suffix, status, message] of cases) {
    const response = await world.call({ url: url + suffix, as: admin });
    assert.equal(response.statusCode, status, suffix);
    assert.equal(errorMessage(response), message);
  }
});

test('spec §6.4 v1 datastreams keyed by pin; defaults for unwritten streams; all when no pins', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const device = world.aDevice.id;
  await world.platform.devices.writeValues(device, [
    { dataStreamId: dsId(world, 'Label'), value: 'hello' },
    { dataStreamId: dsId(world, 'Position'), value: [30.5, 50.4] },
  ]);
  const some = await world.call({
    url: `/api/v1/organization/device/datastreams?deviceId=${device}&pins=v1,v2`,
    as: admin,
  });
  assert.equal(some.statusCode, 200);
  assert.deepEqual(some.json(), { v1: 20, v2: 'hello' });
  const repeated = await world.call({
    url: `/api/v1/organization/device/datastreams?deviceId=${device}&pins=v2&pins=v3`,
    as: admin,
  });
  assert.deepEqual(repeated.json(), { v2: 'hello', v3: [30.5, 50.4] });
  const all = await world.call({
    url: `/api/v1/organization/device/datastreams?deviceId=${device}`,
    as: admin,
  });
  assert.deepEqual(all.json(), { v1: 20, v2: 'hello', v3: [30.5, 50.4] });
  const unknown = await world.call({
    url: `/api/v1/organization/device/datastreams?deviceId=${device}&pins=v1,v42`,
    as: admin,
  });
  assert.equal(unknown.statusCode, 404);
  assert.equal(errorMessage(unknown), 'Data stream with identifier v42 is not found!');
  const bad = await world.call({
    url: `/api/v1/organization/device/datastreams?deviceId=${device}&pins=temperature`,
    as: admin,
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(errorMessage(bad), 'Wrong pin format.');
});

test('spec §6.4 v2 datastreams with details by dataStreamIds', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const device = world.aDevice.id;
  const label = dsId(world, 'Label');
  const temperature = dsId(world, 'Temperature');
  world.clock.advance(5000);
  await world.platform.devices.writeValues(device, [{ dataStreamId: label, value: 'hi' }]);
  const response = await world.call({
    url: `/api/v2/organization/device/datastreams?deviceId=${device}&dataStreamIds=${label},${temperature}`,
    as: admin,
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(response.json(), [
    {
      dataStreamId: label,
      pin: 'v2',
      dataStreamLabel: 'Label',
      dataStreamAlias: 'Label',
      value: 'hi',
      updatedAt: world.clock.now(),
    },
    { dataStreamId: temperature, pin: 'v1', dataStreamLabel: 'Temperature', value: 20, updatedAt: null },
  ]);
  const bad = await world.call({
    url: `/api/v2/organization/device/datastreams?deviceId=${device}&dataStreamIds=a,b`,
    as: admin,
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(errorMessage(bad), 'Wrong dataStreamId format.');
});

test('spec §5.10 device online: false without presence, else what presence says', async (t) => {
  const online = new Set<number>();
  const world = await openApiWorld(t, { presence: { isOnline: (id) => online.has(id) } });
  const admin = await world.client(world.orgs.root);
  const url = `/api/v1/organization/device/online?deviceId=${world.aDevice.id}`;
  const never = { lastPingRttMs: null };
  assert.deepEqual((await world.call({ url, as: admin })).json(), { connected: false, ...never });
  online.add(world.aDevice.id);
  assert.deepEqual((await world.call({ url, as: admin })).json(), { connected: true, ...never });
  const details = await world.call({
    url: `/api/v1/organization/device?deviceId=${world.aDevice.id}`,
    as: admin,
  });
  assert.equal(details.json().isHardwareConnected, true);
});

test('spec §6.4 device metafield values: built-ins, defaults and stored values', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const serial = world.rootTemplate.metaFields.find((f) => f.name === 'Serial');
  assert.ok(serial);
  const url = `/api/v1/organization/device/metafield?deviceId=${world.aDevice.id}`;
  const before = await world.call({ url, as: admin });
  assert.equal(before.statusCode, 200);
  const values = before.json() as Array<{ id: number; name: string; type: string; value: string }>;
  assert.deepEqual(
    values.find((v) => v.name === 'Device Name'),
    { id: values[0]?.id, name: 'Device Name', type: 'DeviceName', value: 'A Device' },
  );
  assert.equal(values.find((v) => v.name === 'Serial')?.value, 'none');
  await world.platform.devices.setMetaValue(world.aDevice.id, serial.id, 'SN-42');
  const after = (await world.call({ url, as: admin })).json() as typeof values;
  assert.equal(after.find((v) => v.name === 'Serial')?.value, 'SN-42');
  assert.equal(after.length, world.rootTemplate.metaFields.length);
});

test('spec §5.10 the device list and search carry each device presence and when it was last seen', async (t) => {
  const online = new Set<number>();
  const world = await openApiWorld(t, { presence: { isOnline: (id) => online.has(id) } });
  const admin = await world.client(world.orgs.root);
  online.add(world.aDevice.id);
  type Listed = { id: number; isHardwareConnected: boolean; lastSeenAt: number | null };
  for (const url of [
    '/api/v1/organization/devices?includeSubOrgDevices=true',
    '/api/v1/organization/search/devices?query=Device',
  ]) {
    const page = (await world.call({ url, as: admin })).json() as { content: Listed[] };
    const a = page.content.find((d) => d.id === world.aDevice.id);
    const b = page.content.find((d) => d.id === world.bDevice.id);
    assert.equal(a?.isHardwareConnected, true, url);
    assert.equal(a?.lastSeenAt, world.clock.now(), 'online: seen now');
    assert.equal(b?.isHardwareConnected, false, url);
    assert.equal(b?.lastSeenAt, null, 'never connected');
  }
});
