import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type ContractTestOptions, newDevice, type OpenDeviceStores, T0 } from './device-store-fixture.js';

/** The EventLogStore contract (src/platform/devices/event-log-store.ts), run once per backend. */
export function describeEventLogStoreContract(
  backend: string,
  open: OpenDeviceStores,
  options: ContractTestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`EventLogStore contract (${backend}) - ${what}`, options, fn);

  it('append assigns increasing ids and returns the record', async (t) => {
    const f = await open(t);
    const { id } = await f.stores.devices.insert(newDevice(f));
    const first = await f.stores.events.append({
      deviceId: id,
      eventId: 4,
      code: 'hot',
      description: 'too hot',
      ts: T0,
    });
    assert.ok(first);
    assert.deepEqual(first, {
      id: first.id,
      deviceId: id,
      eventId: 4,
      code: 'hot',
      description: 'too hot',
      ts: T0,
    });
    const second = await f.stores.events.append({
      deviceId: id,
      eventId: 4,
      code: 'hot',
      description: '',
      ts: T0,
    });
    assert.ok(second && second.id > first.id);
  });

  it('query is newest first (ties: latest logged first), windowed and paged, per device', async (t) => {
    const f = await open(t);
    const { id } = await f.stores.devices.insert(newDevice(f));
    const other = (await f.stores.devices.insert(newDevice(f))).id;
    const logged = [];
    for (let i = 0; i < 6; i++) {
      logged.push(
        await f.stores.events.append({
          deviceId: id,
          eventId: 1,
          code: 'c',
          description: `${i}`,
          ts: T0 + Math.min(i, 4),
        }),
      );
    }
    await f.stores.events.append({ deviceId: other, eventId: 1, code: 'c', description: 'other', ts: T0 });
    const page = await f.stores.events.query(id, { offset: 0, limit: 3 });
    assert.deepEqual(page, { content: [logged[5], logged[4], logged[3]], totalElements: 6 });
    const windowed = await f.stores.events.query(id, { from: T0 + 1, to: T0 + 2, offset: 0, limit: 10 });
    assert.deepEqual(windowed, { content: [logged[2], logged[1]], totalElements: 2 });
    assert.deepEqual(await f.stores.events.query(id, { offset: 6, limit: 3 }), {
      content: [],
      totalElements: 6,
    });
  });

  it('append for an unknown device is undefined', async (t) => {
    const f = await open(t);
    const result = await f.stores.events.append({
      deviceId: 999_999,
      eventId: 1,
      code: 'c',
      description: '',
      ts: T0,
    });
    assert.equal(result, undefined);
  });

  it('clear and device deletion drop one device’s events only', async (t) => {
    const f = await open(t);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await f.stores.devices.insert(newDevice(f));
      await f.stores.events.append({ deviceId: id, eventId: 1, code: 'c', description: '', ts: T0 });
      ids.push(id);
    }
    const [a = 0, b = 0, c = 0] = ids;
    await f.stores.events.clear(a);
    await f.stores.devices.delete(b);
    assert.equal((await f.stores.events.query(a, { offset: 0, limit: 10 })).totalElements, 0);
    assert.equal((await f.stores.events.query(b, { offset: 0, limit: 10 })).totalElements, 0);
    assert.equal((await f.stores.events.query(c, { offset: 0, limit: 10 })).totalElements, 1);
  });
}
