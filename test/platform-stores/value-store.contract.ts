import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ValueStore } from '../../src/platform/devices/value-store.js';
import { T0 } from './device-store-fixture.js';

/** What a backend harness provides: the store, and devices made and deleted in its database. */
export interface ValueStoreFixture {
  readonly values: ValueStore;
  /** A new device; returns its id. */
  addDevice(): Promise<number>;
  /** Deletes the device the way the device store does. */
  deleteDevice(id: number): Promise<void>;
}

export type OpenValueStores = (t: TestContext) => Promise<ValueStoreFixture>;

const all = { offset: 0, limit: 1000 };

/** The ValueStore contract (src/platform/devices/value-store.ts), run once per backend. */
export function describeValueStoreContract(
  backend: string,
  open: OpenValueStores,
  options: { readonly skip?: string | false } = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`ValueStore contract (${backend}) - ${what}`, options, fn);

  it('write sets current values and appends history; every value type round-trips', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    // The string holds what array literals and JSON escape: quotes, a backslash, braces, NULL.
    const values = [21.5, 'hello "world" \\ {a,b} NULL', true, [30.5, 50.45] as const, -7];
    assert.equal(
      await f.values.write(
        id,
        values.map((value, i) => ({ dataStreamId: 5 - i, value, ts: T0 + i })),
      ),
      true,
    );
    assert.deepEqual(await f.values.current(id), [
      { dataStreamId: 1, value: -7, updatedAt: T0 + 4 },
      { dataStreamId: 2, value: [30.5, 50.45], updatedAt: T0 + 3 },
      { dataStreamId: 3, value: true, updatedAt: T0 + 2 },
      { dataStreamId: 4, value: 'hello "world" \\ {a,b} NULL', updatedAt: T0 + 1 },
      { dataStreamId: 5, value: 21.5, updatedAt: T0 },
    ]);
    assert.deepEqual(await f.values.history(id, { dataStreamId: 2, ...all }), {
      content: [{ ts: T0 + 3, value: [30.5, 50.45] }],
      totalElements: 1,
    });
  });

  it('the newest point is the current value; a back-filled older point only joins history', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    await f.values.write(id, [{ dataStreamId: 1, value: 2, ts: T0 + 100 }]);
    await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: T0 }]);
    assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 2, updatedAt: T0 + 100 }]);
    // Same timestamp: the later write wins.
    await f.values.write(id, [{ dataStreamId: 1, value: 3, ts: T0 + 100 }]);
    assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 3, updatedAt: T0 + 100 }]);
    assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 3);
  });

  it('several points of one stream in one write: every one in history, the newest current', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    await f.values.write(id, [
      { dataStreamId: 1, value: 'b', ts: T0 + 2 },
      { dataStreamId: 1, value: 'c', ts: T0 + 3 },
      { dataStreamId: 1, value: 'a', ts: T0 + 1 },
    ]);
    assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 'c', updatedAt: T0 + 3 }]);
    const history = await f.values.history(id, { dataStreamId: 1, ...all });
    assert.deepEqual(
      history.content.map((p) => p.value),
      ['c', 'b', 'a'],
    );
  });

  it('history is newest first (ties: latest written first), windowed, paged, per stream', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    const other = await f.addDevice();
    for (let i = 0; i < 10; i++) await f.values.write(id, [{ dataStreamId: 1, value: i, ts: T0 + i * 10 }]);
    await f.values.write(id, [{ dataStreamId: 1, value: 'tie', ts: T0 + 90 }]);
    await f.values.write(id, [{ dataStreamId: 2, value: 'x', ts: T0 + 50 }]);
    await f.values.write(other, [{ dataStreamId: 1, value: 'y', ts: T0 + 50 }]);
    const first = await f.values.history(id, { dataStreamId: 1, offset: 0, limit: 3 });
    assert.deepEqual(first, {
      content: [
        { ts: T0 + 90, value: 'tie' },
        { ts: T0 + 90, value: 9 },
        { ts: T0 + 80, value: 8 },
      ],
      totalElements: 11,
    });
    const windowed = await f.values.history(id, {
      dataStreamId: 1,
      from: T0 + 20,
      to: T0 + 50,
      offset: 1,
      limit: 2,
    });
    assert.deepEqual(windowed, {
      content: [
        { ts: T0 + 40, value: 4 },
        { ts: T0 + 30, value: 3 },
      ],
      totalElements: 4,
    });
    assert.deepEqual(await f.values.history(id, { dataStreamId: 3, ...all }), {
      content: [],
      totalElements: 0,
    });
  });

  it('write for an unknown device stores nothing and is false', async (t) => {
    const f = await open(t);
    assert.equal(await f.values.write(999_999, [{ dataStreamId: 1, value: 1, ts: T0 }]), false);
    assert.deepEqual(await f.values.current(999_999), []);
  });

  it('erase drops the current value and keeps history', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    await f.values.write(id, [
      { dataStreamId: 1, value: 1, ts: T0 },
      { dataStreamId: 2, value: 2, ts: T0 },
    ]);
    await f.values.erase(id, 1);
    await f.values.erase(id, 42);
    assert.deepEqual(await f.values.current(id), [{ dataStreamId: 2, value: 2, updatedAt: T0 }]);
    assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 1);
  });

  it('pruneBefore deletes older history of every device and counts it', async (t) => {
    const f = await open(t);
    const a = await f.addDevice();
    const b = await f.addDevice();
    await f.values.write(a, [
      { dataStreamId: 1, value: 1, ts: T0 },
      { dataStreamId: 1, value: 2, ts: T0 + 10 },
    ]);
    await f.values.write(b, [{ dataStreamId: 1, value: 3, ts: T0 + 5 }]);
    assert.equal(await f.values.pruneBefore(T0 + 10), 2);
    assert.deepEqual((await f.values.history(a, { dataStreamId: 1, ...all })).content, [
      { ts: T0 + 10, value: 2 },
    ]);
    assert.equal((await f.values.history(b, { dataStreamId: 1, ...all })).totalElements, 0);
    assert.equal((await f.values.current(b)).length, 1, 'current values are not history');
  });

  it('clear drops one device’s current values and history', async (t) => {
    const f = await open(t);
    const a = await f.addDevice();
    const b = await f.addDevice();
    for (const id of [a, b]) await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: T0 }]);
    await f.values.clear(a);
    assert.deepEqual(await f.values.current(a), []);
    assert.equal((await f.values.history(a, { dataStreamId: 1, ...all })).totalElements, 0);
    assert.equal((await f.values.current(b)).length, 1);
  });

  it('deleting the device deletes its values', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: T0 }]);
    await f.deleteDevice(id);
    assert.deepEqual(await f.values.current(id), []);
    assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 0);
  });

  it('writes issued together (not awaited one by one) are all stored, in issue order; a read sees every earlier write', async (t) => {
    const f = await open(t);
    const a = await f.addDevice();
    const b = await f.addDevice();
    const writes = [];
    for (let i = 0; i < 300; i++) {
      const id = i % 2 === 0 ? a : b;
      writes.push(f.values.write(id, [{ dataStreamId: 1, value: i, ts: T0 + (i >> 1) }]));
    }
    // Not awaited: a read issued now must already see all 300.
    assert.equal((await f.values.history(a, { dataStreamId: 1, ...all })).totalElements, 150);
    assert.deepEqual(await Promise.all(writes), Array(300).fill(true));
    assert.deepEqual(await f.values.current(a), [{ dataStreamId: 1, value: 298, updatedAt: T0 + 149 }]);
    assert.deepEqual(await f.values.current(b), [{ dataStreamId: 1, value: 299, updatedAt: T0 + 149 }]);
    const page = await f.values.history(b, { dataStreamId: 1, offset: 0, limit: 2 });
    assert.deepEqual(page.content, [
      { ts: T0 + 149, value: 299 },
      { ts: T0 + 148, value: 297 },
    ]);
  });

  it('an unknown device among writes issued together fails alone (false), the others are stored', async (t) => {
    const f = await open(t);
    const a = await f.addDevice();
    const results = await Promise.all([
      f.values.write(a, [{ dataStreamId: 1, value: 1, ts: T0 }]),
      f.values.write(a + 1000, [{ dataStreamId: 1, value: 2, ts: T0 }]),
      f.values.write(a, [{ dataStreamId: 2, value: 3, ts: T0 }]),
    ]);
    assert.deepEqual(results, [true, false, true]);
    assert.equal((await f.values.current(a)).length, 2);
  });

  it('an erase issued after a write applies after it (the current value goes, history stays)', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    const written = f.values.write(id, [{ dataStreamId: 1, value: 1, ts: T0 }]);
    await f.values.erase(id, 1);
    assert.equal(await written, true);
    assert.deepEqual(await f.values.current(id), []);
    assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 1);
  });

  it('flush makes every write issued so far durable before its promise settles', async (t) => {
    const f = await open(t);
    const id = await f.addDevice();
    let settled = false;
    const written = f.values.write(id, [{ dataStreamId: 1, value: 1, ts: T0 }]).then(() => {
      settled = true;
    });
    await f.values.flush();
    await written;
    assert.ok(settled);
    assert.equal((await f.values.current(id)).length, 1);
  });

  it('sustained writes (more than one history merge chunk): every point in history, newest first, ties latest written first', async (t) => {
    const f = await open(t);
    const a = await f.addDevice();
    const b = await f.addDevice();
    const writes = [];
    // 25,000 points: past the SQLite store's 20,000-row staging chunk, so a merge happens mid-way.
    for (let i = 0; i < 25_000; i++) {
      const id = i % 5 === 0 ? b : a;
      writes.push(f.values.write(id, [{ dataStreamId: 1 + (i % 2), value: i, ts: T0 + Math.floor(i / 10) }]));
    }
    assert.ok((await Promise.all(writes)).every((stored) => stored));
    const pageA1 = await f.values.history(a, { dataStreamId: 1, offset: 0, limit: 3 });
    assert.equal(pageA1.totalElements, 10_000);
    // Points 24998, 24996 and 24994 share ts T0 + 2499: the latest written comes first.
    assert.deepEqual(pageA1.content, [
      { ts: T0 + 2499, value: 24_998 },
      { ts: T0 + 2499, value: 24_996 },
      { ts: T0 + 2499, value: 24_994 },
    ]);
    assert.equal((await f.values.history(b, { dataStreamId: 1, ...all })).totalElements, 2_500);
    assert.equal((await f.values.history(b, { dataStreamId: 2, ...all })).totalElements, 2_500);
    await f.deleteDevice(b);
    assert.equal((await f.values.history(b, { dataStreamId: 1, ...all })).totalElements, 0);
    assert.equal(await f.values.pruneBefore(T0 + 1000), 8_000, 'a: 10 per ts step × 1000 steps × 0.8');
  });
}
