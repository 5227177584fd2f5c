import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApiWorld, errorMessage, openApiWorld } from '../helpers/http-api.js';
import { callerFor } from '../helpers/platform.js';

function dsId(world: ApiWorld, name: string): number {
  const ds = world.rootTemplate.datastreams.find((d) => d.name === name);
  if (ds === undefined) throw new Error(`no datastream ${name}`);
  return ds.id;
}

const BATCH = '/api/v1/organization/device/datastreams/batch';
const EVENTS = '/api/v1/organization/device/events';

test('spec §6.4 datastreams/batch: values per device in request order; out-of-scope devices skipped', async (t) => {
  const world = await openApiWorld(t);
  const temperature = dsId(world, 'Temperature');
  const label = dsId(world, 'Label');
  await world.platform.devices.writeValues(world.aDevice.id, [
    { dataStreamId: label, value: 'hi', ts: 1000 },
  ]);
  const admin = await world.client(world.orgs.root);
  const both = await world.call({
    url: `${BATCH}?deviceIds=${world.bDevice.id},${world.aDevice.id}`,
    as: admin,
  });
  assert.equal(both.statusCode, 200, both.body);
  const items = both.json() as Array<{ deviceId: number; dataStreamValues: Array<{ dataStreamId: number }> }>;
  assert.deepEqual(
    items.map((i) => i.deviceId),
    [world.bDevice.id, world.aDevice.id],
  );
  assert.deepEqual(items[0]?.dataStreamValues, []); // B's template has no datastreams
  assert.deepEqual(
    items[1]?.dataStreamValues.map((v) => v.dataStreamId).sort(),
    [temperature, label].sort(), // Position has neither a value nor a default
  );

  const ofA = await world.client(world.orgs.a);
  const scoped = await world.call({
    url: `${BATCH}?deviceIds=${world.aDevice.id},${world.bDevice.id},999999&dataStreamIds=${label}`,
    as: ofA,
  });
  assert.equal(scoped.statusCode, 200);
  assert.deepEqual(scoped.json(), [
    {
      deviceId: world.aDevice.id,
      dataStreamValues: [
        {
          dataStreamId: label,
          pin: 'v2',
          dataStreamLabel: 'Label',
          dataStreamAlias: 'Label',
          value: 'hi',
          updatedAt: 1000,
        },
      ],
    },
  ]);
  const ofB = await world.client(world.orgs.b);
  const none = await world.call({ url: `${BATCH}?deviceIds=${world.aDevice.id}`, as: ofB });
  assert.equal(none.statusCode, 200);
  assert.deepEqual(none.json(), []);
});

test('spec §6.4 datastreams/batch input: at most 10 devices, numeric ids, deviceIds required, bearer required', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const eleven = Array.from({ length: 11 }, (_, i) => i + 1).join(',');
  const cases: Array<[string, number, string]> = [
    [`?deviceIds=${eleven}`, 400, 'At most 10 devices per request.'],
    ['?deviceIds=1,x', 400, 'Wrong deviceId format.'],
    ['?deviceIds=1&dataStreamIds=v1', 400, 'Wrong dataStreamId format.'],
    ['?deviceIds=,', 400, "'deviceIds' is required."],
  ];
  for (const [suffix, status, message] of cases) {
    const response = await world.call({ url: BATCH + suffix, as: admin });
    assert.equal(response.statusCode, status, suffix);
    assert.equal(errorMessage(response), message);
  }
  assert.equal((await world.call({ url: BATCH, as: admin })).statusCode, 400);
  // Ten distinct ids are fine, duplicates count once.
  const ten = Array.from({ length: 10 }, (_, i) => i + 1).join(',');
  assert.equal((await world.call({ url: `${BATCH}?deviceIds=${ten},1,1`, as: admin })).statusCode, 200);
  const anonymous = await world.call({ url: `${BATCH}?deviceIds=${world.aDevice.id}` });
  assert.equal(anonymous.statusCode, 401);
});

async function eventWorld(t: Parameters<typeof openApiWorld>[0]) {
  const world = await openApiWorld(t);
  const asA = callerFor(world.orgs.a.id);
  const template = await world.platform.templates.create(asA, {
    name: 'Boiler',
    events: [
      { code: 'high_temp', name: 'High temperature', type: 'WARNING' },
      { code: 'door_open', name: 'Door open', type: 'INFORMATION' },
    ],
  });
  const { device } = await world.platform.devices.create(asA, { templateId: template.id, name: 'Boiler 1' });
  const [high, door] = template.events;
  const base = 1_700_000_000_000;
  for (let i = 0; i < 5; i++) {
    const event = i % 2 === 0 ? high! : door!;
    await world.platform.devices.logEvent(device.id, event.id, `occurrence ${i}`, base + i * 1000);
  }
  return { world, device, base, high: high!, door: door! };
}

test('spec §5.6 §6.4 device/events: the timeline newest first, with from/to and paging', async (t) => {
  const { world, device, base, high } = await eventWorld(t);
  const ofA = await world.client(world.orgs.a);
  const all = await world.call({ url: `${EVENTS}?deviceId=${device.id}`, as: ofA });
  assert.equal(all.statusCode, 200, all.body);
  const page = all.json() as { content: Array<Record<string, unknown>>; totalElements: number };
  assert.equal(page.totalElements, 5);
  assert.deepEqual(
    page.content.map((e) => e.ts),
    [4, 3, 2, 1, 0].map((i) => base + i * 1000),
  );
  const newest = page.content[0]!;
  assert.equal(typeof newest.id, 'number');
  assert.deepEqual(
    { ...newest, id: 0 },
    {
      id: 0,
      deviceId: device.id,
      eventId: high.id,
      eventCode: 'high_temp',
      eventType: 'WARNING',
      description: 'occurrence 4',
      ts: base + 4000,
    },
  );
  const windowed = await world.call({
    url: `${EVENTS}?deviceId=${device.id}&from=${base + 1000}&to=${base + 3000}&page=1&size=2`,
    as: ofA,
  });
  assert.equal(windowed.statusCode, 200);
  assert.equal(windowed.json().totalElements, 3);
  assert.deepEqual(
    windowed.json().content.map((e: { description: string }) => e.description),
    ['occurrence 1'],
  );
});

test('spec §6.4 device/events scope: another org gets the not-found answer; bad paging is 400', async (t) => {
  const { world, device } = await eventWorld(t);
  const ofB = await world.client(world.orgs.b);
  const hidden = await world.call({ url: `${EVENTS}?deviceId=${device.id}`, as: ofB });
  assert.equal(hidden.statusCode, 404);
  assert.equal(
    errorMessage(hidden),
    `Device with identifier ${device.id} is not found or belong to another organization.`,
  );
  const ofRoot = await world.client(world.orgs.root);
  assert.equal((await world.call({ url: `${EVENTS}?deviceId=${device.id}`, as: ofRoot })).statusCode, 200);
  const ofA = await world.client(world.orgs.a);
  assert.equal(
    (await world.call({ url: `${EVENTS}?deviceId=${device.id}&size=0`, as: ofA })).statusCode,
    400,
  );
  assert.equal((await world.call({ url: EVENTS, as: ofA })).statusCode, 400);
});
