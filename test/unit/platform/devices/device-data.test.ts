import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError, ValidationError } from '../../../../src/platform/errors.js';
import { type DeviceWorld, fieldId, openDeviceWorld } from './device-world.js';

const dayMs = 86_400_000;

async function deviceIn(w: DeviceWorld) {
  return (await w.platform.devices.create(w.as(w.orgs.a), { templateId: w.shared.id, name: 'x' })).device;
}

test('spec §5.3 writeValues: current value per datastream (newest wins) and a history row per point', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const temp = fieldId(w.shared, 'datastreams', 'Temperature');
  const label = fieldId(w.shared, 'datastreams', 'Label');
  const now = w.clock.now();
  await w.platform.devices.writeValues(device.id, [
    { dataStreamId: temp, value: 21.5 },
    { dataStreamId: label, value: 'hello', ts: now - 10 },
  ]);
  // A back-filled older point joins history but leaves the current value alone.
  await w.platform.devices.writeValues(device.id, [{ dataStreamId: temp, value: 18, ts: now - dayMs }]);
  assert.deepEqual(await w.platform.devices.currentValues(device.id), [
    { dataStreamId: temp, value: 21.5, updatedAt: now },
    { dataStreamId: label, value: 'hello', updatedAt: now - 10 },
  ]);
  const history = await w.platform.devices.history(w.as(w.orgs.a), device.id, { dataStreamId: temp });
  assert.deepEqual(history, {
    content: [
      { ts: now, value: 21.5 },
      { ts: now - dayMs, value: 18 },
    ],
    totalElements: 2,
  });
  await assert.rejects(
    w.platform.devices.writeValues(999_999, [{ dataStreamId: temp, value: 1 }]),
    NotFoundError,
  );
});

test('spec §5.3 eraseValue clears the current value only', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const temp = fieldId(w.shared, 'datastreams', 'Temperature');
  await w.platform.devices.writeValues(device.id, [{ dataStreamId: temp, value: 3 }]);
  await w.platform.devices.eraseValue(device.id, temp);
  assert.deepEqual(await w.platform.devices.currentValues(device.id), []);
  assert.equal(
    (await w.platform.devices.history(w.as(w.orgs.a), device.id, { dataStreamId: temp })).totalElements,
    1,
  );
});

test('spec §6.4 history: newest first, from/to, page/size (default 50, max 1000), known datastream', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const temp = fieldId(w.shared, 'datastreams', 'Temperature');
  const start = w.clock.now();
  for (let i = 0; i < 120; i++) {
    await w.platform.devices.writeValues(device.id, [{ dataStreamId: temp, value: i }]);
    w.clock.advance(1000);
  }
  const caller = w.as(w.orgs.root);
  const first = await w.platform.devices.history(caller, device.id, { dataStreamId: temp });
  assert.equal(first.totalElements, 120);
  assert.equal(first.content.length, 50);
  assert.deepEqual(first.content[0], { ts: start + 119_000, value: 119 });
  const third = await w.platform.devices.history(caller, device.id, { dataStreamId: temp, page: 2 });
  assert.deepEqual(
    third.content.map((p) => p.value),
    Array.from({ length: 20 }, (_, i) => 19 - i),
  );
  const windowed = await w.platform.devices.history(caller, device.id, {
    dataStreamId: temp,
    from: start + 10_000,
    to: start + 19_000,
    size: 4,
    page: 1,
  });
  assert.deepEqual(windowed, {
    content: [15, 14, 13, 12].map((v) => ({ ts: start + v * 1000, value: v })),
    totalElements: 10,
  });
  await assert.rejects(
    w.platform.devices.history(caller, device.id, { dataStreamId: temp, size: 1001 }),
    ValidationError,
  );
  await assert.rejects(w.platform.devices.history(caller, device.id, { dataStreamId: 99_999 }), {
    name: 'NotFoundError',
    message: 'Data stream with identifier 99999 is not found!',
  });
});

test('spec §6.4 pruneHistory: history older than historyRetentionDays goes; current values stay', async (t) => {
  const w = await openDeviceWorld(t, { options: { historyRetentionDays: 30 } });
  const device = await deviceIn(w);
  const temp = fieldId(w.shared, 'datastreams', 'Temperature');
  const t0 = w.clock.now();
  for (let day = 0; day < 40; day++) {
    await w.platform.devices.writeValues(device.id, [
      { dataStreamId: temp, value: day, ts: t0 + day * dayMs },
    ]);
  }
  const now = t0 + 40 * dayMs;
  // Cut-off now - 30 days = t0 + 10 days: days 0..9 go.
  assert.equal(await w.platform.devices.pruneHistory(now), 10);
  const left = await w.platform.devices.history(w.as(w.orgs.a), device.id, {
    dataStreamId: temp,
    size: 1000,
  });
  assert.equal(left.totalElements, 30);
  assert.equal(left.content.at(-1)?.value, 10);
  assert.equal(await w.platform.devices.pruneHistory(now), 0);
  assert.deepEqual(
    (await w.platform.devices.currentValues(device.id)).map((v) => v.value),
    [39],
  );
});

test('spec §5.7 properties: set, replace, erase with an empty list; limits checked', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  await w.platform.devices.setProperty(device.id, 1, 'label', ['Temp']);
  await w.platform.devices.setProperty(device.id, 1, 'labels', ['a', 'b']);
  await w.platform.devices.setProperty(device.id, 1, 'label', ['Temperature']);
  await w.platform.devices.setProperty(device.id, 1, 'labels', []);
  assert.deepEqual(await w.platform.devices.properties(device.id), [
    { dataStreamId: 1, name: 'label', values: ['Temperature'] },
  ]);
  await assert.rejects(w.platform.devices.setProperty(device.id, 1, '', ['x']), ValidationError);
  await assert.rejects(
    w.platform.devices.setProperty(device.id, 1, 'labels', new Array(101).fill('x')),
    ValidationError,
  );
  await assert.rejects(
    w.platform.devices.setProperty(device.id, 1, 'url', ['x'.repeat(1001)]),
    ValidationError,
  );
  await assert.rejects(w.platform.devices.setProperty(999_999, 1, 'label', ['x']), NotFoundError);
});

test('spec §5.5 metadata values: unset fields read as their default; Device Name is the device name', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const serial = fieldId(w.shared, 'metaFields', 'Serial');
  const floor = fieldId(w.shared, 'metaFields', 'Floor');
  const mode = fieldId(w.shared, 'metaFields', 'Mode');
  const name = fieldId(w.shared, 'metaFields', 'Device Name');
  const before = new Map(
    (await w.platform.devices.metaValues(device.id)).map((m) => [m.metaFieldId, m.value]),
  );
  assert.equal(before.size, w.shared.metaFields.length);
  assert.equal(before.get(serial), 'none');
  assert.equal(before.get(floor), '');
  assert.equal(before.get(mode), 'eco');
  assert.equal(before.get(name), 'x');
  await w.platform.devices.setMetaValue(device.id, serial, 'SN-1');
  await w.platform.devices.setMetaValue(device.id, floor, '12');
  await w.platform.devices.setMetaValue(device.id, mode, 'comfort');
  await w.platform.devices.setMetaValue(device.id, name, 'Renamed');
  const after = new Map(
    (await w.platform.devices.metaValues(device.id)).map((m) => [m.metaFieldId, m.value]),
  );
  assert.deepEqual(
    [after.get(serial), after.get(floor), after.get(mode), after.get(name)],
    ['SN-1', '12', 'comfort', 'Renamed'],
  );
  assert.equal((await w.platform.devices.get(w.as(w.orgs.a), device.id)).name, 'Renamed');
});

test('spec §5.5 metadata values: unknown field, invalid values', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const set = (name: string, value: string) =>
    w.platform.devices.setMetaValue(device.id, fieldId(w.shared, 'metaFields', name), value);
  await assert.rejects(w.platform.devices.setMetaValue(device.id, 999_999, 'x'), {
    name: 'NotFoundError',
    message: 'Meta field is not found.',
  });
  const invalid = { name: 'ValidationError', message: 'The provided value for metafield is invalid.' };
  await assert.rejects(set('Floor', 'abc'), invalid);
  await assert.rejects(set('Floor', '101'), invalid);
  await assert.rejects(set('Floor', ''), invalid);
  await assert.rejects(set('Mode', 'turbo'), invalid);
  await assert.rejects(set('Serial', 'x'.repeat(256)), invalid);
  await assert.rejects(set('Device Name', 'bad/name'), ValidationError);
  await assert.rejects(w.platform.devices.metaValues(999_999), NotFoundError);
});

test('spec §5.6 logEvent: a template event, description ≤ 300 (longer is refused, not truncated)', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const overheat = fieldId(w.shared, 'events', 'Overheat');
  const record = await w.platform.devices.logEvent(device.id, overheat, 'x'.repeat(300));
  assert.deepEqual(record, {
    id: record.id,
    deviceId: device.id,
    eventId: overheat,
    code: 'overheat',
    description: 'x'.repeat(300),
    ts: w.clock.now(),
  });
  await assert.rejects(w.platform.devices.logEvent(device.id, overheat, 'x'.repeat(301)), ValidationError);
  await assert.rejects(w.platform.devices.logEvent(device.id, 999_999, ''), NotFoundError);
  await assert.rejects(w.platform.devices.logEvent(999_999, overheat, ''), NotFoundError);
  const events = await w.platform.devices.events(w.as(w.orgs.a), device.id, {});
  assert.deepEqual(events, { content: [record], totalElements: 1 });
});

test('spec §5.6 events: newest first, from/to, paged', async (t) => {
  const w = await openDeviceWorld(t);
  const device = await deviceIn(w);
  const overheat = fieldId(w.shared, 'events', 'Overheat');
  const start = w.clock.now();
  const logged = [];
  for (let i = 0; i < 6; i++)
    logged.push(await w.platform.devices.logEvent(device.id, overheat, `#${i}`, start + i * 1000));
  const page = await w.platform.devices.events(w.as(w.orgs.root), device.id, {
    from: start + 1000,
    to: start + 4000,
    size: 2,
    page: 1,
  });
  assert.deepEqual(page, { content: [logged[2], logged[1]], totalElements: 4 });
});
