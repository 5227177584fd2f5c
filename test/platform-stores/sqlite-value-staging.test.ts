import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import type { DeviceStores } from '../../src/platform/devices/device-stores.js';
import { createOrgService } from '../../src/platform/orgs/org-service.js';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { knownDevices } from '../../src/platform/sqlite/known-devices.js';
import { openSqliteDeviceStores } from '../../src/platform/sqlite/open-device-stores.js';
import { createSqliteValueStore } from '../../src/platform/sqlite/sqlite-value-store.js';
import { MERGE_ROWS } from '../../src/platform/sqlite/value-staging.js';
import type { QueuedValueWrite } from '../../src/platform/sqlite/value-write-queue.js';
import { createTemplateService } from '../../src/platform/templates/template-service.js';
import { openPlatformDeps } from '../helpers/platform.js';
import { type DeviceStoreFixture, newDevice, T0 } from './device-store-fixture.js';

const CHILD = fileURLToPath(new URL('./value-store-crash-child.js', import.meta.url));
const all = { offset: 0, limit: 1000 };

interface World {
  readonly file: string;
  readonly db: Database;
  readonly stores: DeviceStores;
  readonly device: () => Promise<number>;
  /** Another connection to the same file (another process's view, or the next start's). */
  readonly reopen: () => Database;
}

/** A platform database in a real file of a temp dir, with an org and a template for devices. */
async function world(t: TestContext): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-value-staging-'));
  const file = join(dir, 'platform.sqlite');
  const deps = openPlatformDeps(t, { file });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const orgs = await createOrgService(deps, deps.stores.orgs);
  const root = await orgs.createRoot({ name: 'Root' });
  const template = await (await createTemplateService(deps, orgs, deps.stores.templates)).create(
    { orgId: root.id, actor: 'test' },
    { name: 'Sensor' },
  );
  const stores = openSqliteDeviceStores(deps.db, deps.tokenKey);
  const fixture: DeviceStoreFixture = {
    stores,
    orgIds: [root.id, root.id, root.id],
    templateIds: [template.id, template.id],
  };
  const reopen = (): Database => {
    const db = openPlatformDatabase(file);
    t.after(() => db.close());
    return db;
  };
  return {
    file,
    db: deps.db,
    stores,
    device: async () => (await stores.devices.insert(newDevice(fixture))).id,
    reopen,
  };
}

const count = (db: Database, table: string): number =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** The current values as another connection reads them from the file (no store in between). */
const currentRows = (db: Database, deviceId: number) =>
  db
    .prepare(
      'SELECT datastream_id, value, updated_at FROM current_values WHERE device_id = ? ORDER BY datastream_id',
    )
    .all(deviceId);

test('bench S2 / decision 0005: a commit only stages rows; a read right after the write settles sees the newest value (read-your-write)', async (t) => {
  const w = await world(t);
  const ids = [await w.device(), await w.device(), await w.device()];
  const settled = await Promise.all(
    ids.flatMap((id, i) => [
      w.stores.values.write(id, [{ dataStreamId: 1, value: i, ts: T0 + 10 }]),
      w.stores.values.write(id, [{ dataStreamId: 1, value: `tie ${i}`, ts: T0 + 10 }]),
      w.stores.values.write(id, [{ dataStreamId: 1, value: 'back-filled', ts: T0 }]),
    ]),
  );
  assert.ok(settled.every((stored) => stored));
  assert.equal(count(w.db, 'history_staging'), 9, 'committed (the promises settled) and staged');
  assert.equal(count(w.db, 'current_values'), 0, 'the commit upserted no current value');
  for (const [i, id] of ids.entries())
    assert.deepEqual(await w.stores.values.current(id), [
      { dataStreamId: 1, value: `tie ${i}`, updatedAt: T0 + 10 },
    ]);
  assert.equal(
    count(w.db, 'history_staging'),
    9,
    'a current-value read applies staged rows, it does not merge them',
  );
  // A later write after the read: applied by the next read (only the rows not applied yet).
  await w.stores.values.write(ids[0]!, [{ dataStreamId: 1, value: 'newer', ts: T0 + 11 }]);
  assert.deepEqual(await w.stores.values.current(ids[0]!), [
    { dataStreamId: 1, value: 'newer', updatedAt: T0 + 11 },
  ]);
});

test('decision 0005: after a restart with unmerged staged rows (no flush, no close) the newest values are current', async (t) => {
  const w = await world(t);
  const id = await w.device();
  await Promise.all([
    w.stores.values.write(id, [{ dataStreamId: 1, value: 'a', ts: T0 + 100 }]),
    w.stores.values.write(id, [{ dataStreamId: 1, value: 'b', ts: T0 + 100 }]),
    w.stores.values.write(id, [{ dataStreamId: 1, value: 'old', ts: T0 }]),
    w.stores.values.write(id, [{ dataStreamId: 2, value: 2, ts: T0 }]),
  ]);
  // The first handle is abandoned as a crash would leave it: rows staged, none applied.
  const next = w.reopen();
  assert.equal(count(next, 'history_staging'), 4);
  assert.deepEqual(currentRows(next, id), []);
  const values = createSqliteValueStore(next);
  assert.equal(count(next, 'history_staging'), 0, 'opening the store merged the leftovers');
  assert.deepEqual(currentRows(next, id), [
    { datastream_id: 1, value: '"b"', updated_at: T0 + 100 },
    { datastream_id: 2, value: '2', updated_at: T0 },
  ]);
  assert.deepEqual(await values.current(id), [
    { dataStreamId: 1, value: 'b', updatedAt: T0 + 100 },
    { dataStreamId: 2, value: 2, updatedAt: T0 },
  ]);
  assert.deepEqual(
    (await values.history(id, { dataStreamId: 1, ...all })).content.map((p) => p.value),
    ['b', 'a', 'old'],
  );
});

test('bench S2: a process killed after its writes settled (PUBACK point) loses no value: history and current after the restart', async (t) => {
  const w = await world(t);
  const id = await w.device();
  await w.stores.values.write(id, [{ dataStreamId: 1, value: 'before', ts: T0 }]);
  await w.stores.values.flush(); // this handle is done with the file; the child writes next
  const writes = [
    [{ dataStreamId: 1, value: 'x', ts: T0 + 5 }],
    [
      { dataStreamId: 1, value: 'y', ts: T0 + 7 },
      { dataStreamId: 3, value: [1, 2], ts: T0 + 7 },
    ],
    [{ dataStreamId: 1, value: 'z', ts: T0 + 6 }],
  ];
  const child = spawn(process.execPath, [CHILD, w.file, String(id), JSON.stringify(writes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const signal = await new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
  assert.equal(out.trim(), '[true,true,true]', 'every write settled before the kill');
  const values = createSqliteValueStore(w.reopen());
  assert.deepEqual(await values.current(id), [
    { dataStreamId: 1, value: 'y', updatedAt: T0 + 7 },
    { dataStreamId: 3, value: [1, 2], updatedAt: T0 + 7 },
  ]);
  assert.equal((await values.history(id, { dataStreamId: 1, ...all })).totalElements, 4);
});

test('decision 0005: an erased current value stays erased after a restart (its staged rows merged before the erase)', async (t) => {
  const w = await world(t);
  const id = await w.device();
  await w.stores.values.write(id, [
    { dataStreamId: 1, value: 1, ts: T0 },
    { dataStreamId: 2, value: 2, ts: T0 },
  ]);
  assert.equal((await w.stores.values.current(id)).length, 2, 'both applied');
  await w.stores.values.erase(id, 1);
  await w.stores.values.write(id, [{ dataStreamId: 2, value: 3, ts: T0 + 1 }]);
  // Restart without a flush: the leftovers are applied again; the erased stream must not return.
  const values = createSqliteValueStore(w.reopen());
  assert.deepEqual(await values.current(id), [{ dataStreamId: 2, value: 3, updatedAt: T0 + 1 }]);
  assert.equal((await values.history(id, { dataStreamId: 1, ...all })).totalElements, 1, 'history stays');
});

test('decision 0005: deleting a device while its points are staged leaves no row behind, also after a restart', async (t) => {
  const w = await world(t);
  const gone = await w.device();
  const kept = await w.device();
  await Promise.all([
    w.stores.values.write(gone, [{ dataStreamId: 1, value: 'gone', ts: T0 }]),
    w.stores.values.write(kept, [{ dataStreamId: 1, value: 'kept', ts: T0 }]),
  ]);
  assert.equal(await w.stores.devices.delete(gone), true);
  assert.deepEqual(await w.stores.values.current(gone), []);
  const next = w.reopen();
  createSqliteValueStore(next);
  assert.equal(count(next, 'history'), 1);
  assert.deepEqual(currentRows(next, gone), []);
  assert.deepEqual(currentRows(next, kept), [{ datastream_id: 1, value: '"kept"', updated_at: T0 }]);
});

test('a device remembered as existing, then deleted (here or by another connection): its writes are false, the rest of the batch stored, no orphan rows', async (t) => {
  const w = await world(t);
  const [a, b, c] = [await w.device(), await w.device(), await w.device()];
  for (const id of [a, b, c])
    assert.equal(await w.stores.values.write(id, [{ dataStreamId: 1, value: 0, ts: T0 }]), true);
  await w.stores.devices.delete(b);
  const other = w.reopen();
  other.prepare('DELETE FROM devices WHERE id = ?').run(c);
  const results = await Promise.all([
    w.stores.values.write(a, [{ dataStreamId: 1, value: 1, ts: T0 + 1 }]),
    w.stores.values.write(b, [{ dataStreamId: 1, value: 1, ts: T0 + 1 }]),
    w.stores.values.write(c, [{ dataStreamId: 1, value: 1, ts: T0 + 1 }]),
  ]);
  assert.deepEqual(
    results,
    [true, false, false],
    'device not found, as when the device is looked up every time',
  );
  await w.stores.values.flush();
  for (const table of ['history', 'history_staging', 'current_values'])
    assert.deepEqual(
      w.db.prepare(`SELECT DISTINCT device_id FROM ${table}`).all(),
      table === 'history_staging' ? [] : [{ device_id: a }],
      table,
    );
  assert.deepEqual(await w.stores.values.current(a), [{ dataStreamId: 1, value: 1, updatedAt: T0 + 1 }]);
});

test('clear while rows are staged: the rowids it frees are reused, and the rows that take them still become current', async (t) => {
  const w = await world(t);
  const a = await w.device();
  const b = await w.device();
  await w.stores.values.write(a, [{ dataStreamId: 1, value: 'a1', ts: T0 }]);
  await w.stores.values.write(b, [{ dataStreamId: 1, value: 'b1', ts: T0 }]);
  assert.equal((await w.stores.values.current(b)).length, 1, 'all staged rows applied');
  await w.stores.values.clear(b); // deletes the last staged row: the next row gets its rowid
  await w.stores.values.write(a, [{ dataStreamId: 1, value: 'a2', ts: T0 + 1 }]);
  assert.deepEqual(await w.stores.values.current(a), [{ dataStreamId: 1, value: 'a2', updatedAt: T0 + 1 }]);
  assert.deepEqual(await w.stores.values.current(b), []);
});

test(`bound: at ${MERGE_ROWS.toLocaleString('en-US')} staged rows the commit merges them and applies their current values (another connection sees them)`, async (t) => {
  const w = await world(t);
  const ids = [await w.device(), await w.device()];
  const writes: Promise<boolean>[] = [];
  for (let i = 0; i < MERGE_ROWS; i++)
    writes.push(w.stores.values.write(ids[i % 2]!, [{ dataStreamId: 1 + (i % 3), value: i, ts: T0 + i }]));
  assert.ok((await Promise.all(writes)).every((stored) => stored));
  const reader = w.reopen();
  assert.equal(count(reader, 'history_staging'), 0, 'merged by the commit that reached the bound');
  assert.equal(count(reader, 'history'), MERGE_ROWS);
  const last = MERGE_ROWS - 1;
  assert.deepEqual(
    currentRows(reader, ids[last % 2]!).find(
      (r) => (r as { datastream_id: number }).datastream_id === 1 + (last % 3),
    ),
    { datastream_id: 1 + (last % 3), value: String(last), updated_at: T0 + last },
  );
  assert.equal(
    count(reader, 'current_values'),
    6,
    '2 devices × 3 streams, without any read through the store',
  );
});

test('flush (before the database closes) leaves the file merged with every current value applied', async (t) => {
  const w = await world(t);
  const id = await w.device();
  void w.stores.values.write(id, [{ dataStreamId: 4, value: 'v', ts: T0 }]);
  await w.stores.values.flush();
  const reader = w.reopen();
  assert.equal(count(reader, 'history_staging'), 0);
  assert.deepEqual(currentRows(reader, id), [{ datastream_id: 4, value: '"v"', updated_at: T0 }]);
});

test('bound: remembered devices start over at the limit; a deleted remembered device fails the commit on its foreign key and is looked up again', async (t) => {
  const w = await world(t);
  const ids = [await w.device(), await w.device(), await w.device()];
  const devices = knownDevices(w.db, 2);
  assert.deepEqual(
    ids.map((id) => devices.exists(id)),
    [true, true, true],
  );
  const del = w.db.prepare('DELETE FROM devices WHERE id = ?');
  del.run(ids[0]);
  assert.equal(devices.exists(ids[0]!), false, 'forgotten when the set started over at 2: looked up again');
  assert.equal(devices.exists(999_999), false);
  del.run(ids[2]);
  assert.equal(devices.exists(ids[2]!), true, 'still remembered: the foreign key is what catches it');
  const insert = w.db.prepare(
    'INSERT INTO history_staging (device_id, datastream_id, ts, value) VALUES (?, 1, 0, 1)',
  );
  let attempts = 0;
  const commit = devices.retryOnDeleted(
    w.db.transaction((batch: readonly QueuedValueWrite[]) => {
      attempts += 1;
      for (const write of batch) {
        write.stored = devices.exists(write.deviceId);
        if (write.stored) insert.run(write.deviceId);
      }
    }),
  );
  const batch: QueuedValueWrite[] = [ids[1]!, ids[2]!].map((deviceId) => ({ deviceId, points: [] }));
  commit(batch);
  assert.equal(attempts, 2);
  assert.deepEqual(
    batch.map((write) => write.stored),
    [true, false],
  );
  assert.deepEqual(w.db.prepare('SELECT device_id FROM history_staging').all(), [{ device_id: ids[1] }]);
});

test('differential: random writes (ties, back-fills, many points per stream per commit), reads and restarts keep current = newest point, tie to the later write', async (t) => {
  const w = await world(t);
  const ids = [await w.device(), await w.device(), await w.device()];
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor((seed / 2_147_483_648) * n); // the high bits: an LCG's low bits repeat
  };
  /** The model: per "device:stream", the newest point, a tie going to the later write. */
  const model = new Map<string, { value: number; ts: number }>();
  const expected = (id: number) =>
    [...model.entries()]
      .filter(([key]) => key.startsWith(`${id}:`))
      .map(([key, p]) => ({ dataStreamId: Number(key.split(':')[1]), value: p.value, updatedAt: p.ts }))
      .sort((a, b) => a.dataStreamId - b.dataStreamId);
  let values = w.stores.values;
  let serial = 0;
  for (let round = 0; round < 40; round++) {
    const writes: Promise<boolean>[] = [];
    for (let i = random(60); i >= 0; i--) {
      const id = ids[random(ids.length)]!;
      const points = Array.from({ length: 1 + random(3) }, () => ({
        dataStreamId: 1 + random(3),
        value: serial++,
        ts: T0 + random(20), // few timestamps: many ties and back-fills
      }));
      for (const p of points) {
        const key = `${id}:${p.dataStreamId}`;
        const held = model.get(key);
        if (held === undefined || held.ts <= p.ts) model.set(key, { value: p.value, ts: p.ts });
      }
      writes.push(values.write(id, points));
    }
    if (random(4) === 0) {
      await Promise.all(writes);
      values = createSqliteValueStore(w.reopen()); // a restart without flush or close
    }
    const id = ids[random(ids.length)]!;
    assert.deepEqual(await values.current(id), expected(id), `round ${round}`);
    assert.ok((await Promise.all(writes)).every((stored) => stored));
  }
  for (const id of ids) assert.deepEqual(await values.current(id), expected(id));
});
