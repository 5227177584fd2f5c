import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { PARTITION_MS, partitionName } from '../../src/platform/postgres/history-partitions.js';
import { ValueQueueFullError } from '../../src/platform/postgres/pg-value-batcher.js';
import { createPostgresValueStore } from '../../src/platform/postgres/pg-value-store.js';
import { openPlatformPool } from '../../src/platform/postgres/platform-pool.js';
import { StoreWriteError } from '../../src/store/errors.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { openPgValueFixture, type PgValueFixture } from './pg-value-harness.js';
import { describeValueStoreContract } from './value-store.contract.js';

describeValueStoreContract('postgres', (t) => openPgValueFixture(t), postgresTestOptions());

const NOW = Date.UTC(2026, 11, 7, 12); // noon UTC
const TODAY = Math.floor(NOW / PARTITION_MS);
const all = { offset: 0, limit: 1000 };
const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
  test(`PostgreSQL value store - ${what}`, postgresTestOptions(), fn);

async function partitionsOf(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'history'::regclass ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** Where each history row of `deviceId` is stored, newest first. */
async function placement(pool: pg.Pool, deviceId: number): Promise<{ ts: number; part: string }[]> {
  const { rows } = await pool.query<{ ts: number; part: string }>(
    'SELECT ts, tableoid::regclass::text AS part FROM history WHERE device_id = $1 ORDER BY ts DESC',
    [deviceId],
  );
  return rows;
}

it('one partition per UTC day, made ahead on open and for a point of a missing day; DEFAULT takes far points', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const id = await f.addDevice();
  const points = [
    { dataStreamId: 1, value: 1, ts: NOW },
    { dataStreamId: 1, value: 2, ts: NOW - 3 * PARTITION_MS }, // three days back: its own partition
    { dataStreamId: 1, value: 3, ts: NOW + 30 * PARTITION_MS }, // far future
    { dataStreamId: 1, value: 4, ts: 1_000 }, // far past (1970)
  ];
  assert.equal(await f.values.write(id, points), true);
  assert.deepEqual(await partitionsOf(f.pool), [
    'history_default',
    partitionName(TODAY - 3),
    partitionName(TODAY),
    partitionName(TODAY + 1), // tomorrow, made ahead
  ]);
  assert.equal(partitionName(TODAY), 'history_p20261207');
  assert.equal(f.values.partitionsCreated, 3);
  assert.deepEqual(await placement(f.pool, id), [
    { ts: NOW + 30 * PARTITION_MS, part: 'history_default' },
    { ts: NOW, part: 'history_p20261207' },
    { ts: NOW - 3 * PARTITION_MS, part: 'history_p20261204' },
    { ts: 1_000, part: 'history_default' },
  ]);
  assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 4);
});

it('a day whose points went to DEFAULT before it got near keeps them there; writes never fail', async (t) => {
  let now = NOW;
  const f = await openPgValueFixture(t, { clock: () => now });
  const id = await f.addDevice();
  const later = NOW + 5 * PARTITION_MS;
  assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: later }]), true);
  now = later; // that day is now today: its partition cannot be made over the DEFAULT rows
  assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 2, ts: later + 1 }]), true);
  assert.ok(
    (await partitionsOf(f.pool)).includes(partitionName(TODAY + 6)),
    'the day after the new today is made ahead by the first batch',
  );
  assert.deepEqual(
    (await placement(f.pool, id)).map((row) => row.part),
    ['history_default', 'history_default'],
  );
  assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 2, updatedAt: later + 1 }]);
});

it('two processes making the same day partition at once both succeed', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  // Ended in the test: the database is dropped (its connections killed) by the fixture's after().
  const other = await openPlatformPool(f.url);
  const second = createPostgresValueStore(other, { clock: () => NOW });
  const id = await f.addDevice();
  const ts = NOW - 10 * PARTITION_MS;
  const results = await Promise.all([
    f.values.write(id, [{ dataStreamId: 1, value: 'a', ts }]),
    second.write(id, [{ dataStreamId: 1, value: 'b', ts: ts + 1 }]),
  ]);
  assert.deepEqual(results, [true, true]);
  assert.deepEqual(
    (await placement(f.pool, id)).map((row) => row.part),
    [partitionName(TODAY - 10), partitionName(TODAY - 10)],
  );
  await second.flush();
  await other.end();
});

it('pruneBefore drops the partitions entirely older, trims the straddling one and DEFAULT, and counts every point', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const a = await f.addDevice();
  const b = await f.addDevice();
  const dayStart = TODAY * PARTITION_MS;
  await f.values.write(a, [
    { dataStreamId: 1, value: 1, ts: dayStart - 3 * PARTITION_MS },
    { dataStreamId: 1, value: 2, ts: dayStart - 3 * PARTITION_MS + 5 },
    { dataStreamId: 1, value: 3, ts: dayStart - 1 }, // last ms of yesterday
    { dataStreamId: 1, value: 4, ts: dayStart }, // today, before the cut
    { dataStreamId: 1, value: 5, ts: NOW }, // today, at the cut: kept
    { dataStreamId: 1, value: 6, ts: 1_000 }, // DEFAULT, far past
  ]);
  await f.values.write(b, [{ dataStreamId: 2, value: 7, ts: dayStart - 2 * PARTITION_MS }]);
  assert.equal(await f.values.pruneBefore(NOW), 6);
  assert.deepEqual(await partitionsOf(f.pool), [
    'history_default',
    partitionName(TODAY),
    partitionName(TODAY + 1),
  ]);
  assert.deepEqual((await f.values.history(a, { dataStreamId: 1, ...all })).content, [{ ts: NOW, value: 5 }]);
  assert.equal((await f.values.history(b, { dataStreamId: 2, ...all })).totalElements, 0);
  // A late point of a dropped day gets its partition again.
  assert.equal(await f.values.write(a, [{ dataStreamId: 1, value: 8, ts: dayStart - 1 }]), true);
  assert.deepEqual(await placement(f.pool, a), [
    { ts: NOW, part: partitionName(TODAY) },
    { ts: dayStart - 1, part: partitionName(TODAY - 1) },
  ]);
  assert.equal(await f.values.pruneBefore(NOW), 1);
});

it('group commit: concurrent writes of many devices share transactions, each resolved after its commit', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const ids = await Promise.all(Array.from({ length: 50 }, () => f.addDevice()));
  const writes: Promise<boolean>[] = [];
  for (let round = 0; round < 20; round++)
    for (const id of ids)
      writes.push(f.values.write(id, [{ dataStreamId: 1, value: round, ts: NOW + round }]));
  assert.ok((await Promise.all(writes)).every((stored) => stored));
  const { stats } = f.values;
  assert.equal(stats.committedWrites, 1000);
  assert.equal(stats.committedPoints, 1000);
  assert.ok(stats.commits < 10, `1000 writes in ${stats.commits} transactions`);
  const { rows } = await f.pool.query<{ n: number; batches: number }>(
    'SELECT count(*) AS n, count(DISTINCT seq >> 20) AS batches FROM history',
  );
  assert.equal(rows[0]?.n, 1000);
  assert.equal(rows[0]?.batches, stats.commits, 'one sequence value (a block of 2^20 seq) per batch');
  assert.deepEqual(await f.values.current(ids[7] as number), [
    { dataStreamId: 1, value: 19, updatedAt: NOW + 19 },
  ]);
});

it('a batch holding an unknown device commits once: the others are stored, the unknown one is false', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const a = await f.addDevice();
  const b = await f.addDevice();
  const results = await Promise.all([
    f.values.write(a, [{ dataStreamId: 1, value: 1, ts: NOW }]),
    f.values.write(b + 1000, [{ dataStreamId: 1, value: 2, ts: NOW }]),
    f.values.write(b, [{ dataStreamId: 1, value: 3, ts: NOW }]),
  ]);
  assert.deepEqual(results, [true, false, true]);
  assert.equal(f.values.stats.commits, 1);
  assert.equal(f.values.stats.failedCommits, 0);
  assert.equal(f.values.stats.committedPoints, 2);
  const { rows } = await f.pool.query<{ n: number }>(
    'SELECT count(*) AS n FROM history WHERE device_id = $1',
    [b + 1000],
  );
  assert.equal(rows[0]?.n, 0, 'no history row of the unknown device');
});

it('a write whose data PostgreSQL refuses fails alone: the batch is retried write by write', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const a = await f.addDevice();
  const b = await f.addDevice();
  const results = await Promise.allSettled([
    f.values.write(a, [{ dataStreamId: 1, value: 1, ts: NOW }]),
    f.values.write(b, [{ dataStreamId: 1, value: 2, ts: NOW + 0.5 }]), // not an epoch-ms integer
    f.values.write(b, [{ dataStreamId: 2, value: 3, ts: NOW }]),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof StoreWriteError);
  assert.deepEqual(await f.values.current(b), [{ dataStreamId: 2, value: 3, updatedAt: NOW }]);
  assert.equal((await f.values.current(a)).length, 1);
});

it('the queue is bounded: past maxPendingPoints a write rejects with ValueQueueFullError', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW, maxPendingPoints: 10, maxBatchPoints: 10 });
  const id = await f.addDevice();
  const write = (value: number) => f.values.write(id, [{ dataStreamId: 1, value, ts: NOW }]);
  // Ten points make a batch that goes in flight at once; ten more wait for it; the next is refused.
  const accepted = Array.from({ length: 20 }, (_, i) => write(i));
  await assert.rejects(write(20), ValueQueueFullError);
  assert.deepEqual(await Promise.all(accepted), Array(20).fill(true));
  assert.equal(f.values.stats.rejectedWrites, 1);
  assert.equal(await write(21), true, 'room again');
  const tooMany = Array.from({ length: 11 }, (_, i) => ({ dataStreamId: 1, value: i, ts: NOW }));
  await assert.rejects(f.values.write(id, tooMany), ValueQueueFullError, 'one write over the bound');
  assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 21);
});

/**
 * Holds the device row so the next batch waits on its lock, in flight, then terminates every
 * other backend of the database (the batch's among them), as a PostgreSQL restart would.
 */
async function terminateMidCommit(
  f: PgValueFixture,
  id: number,
  write: () => Promise<unknown>,
): Promise<void> {
  const holder = new pg.Client({ connectionString: f.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM devices WHERE id = $1 FOR UPDATE', [id]);
    const settled = write();
    for (let tries = 0; ; tries++) {
      const { rows } = await holder.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) break;
      assert.ok(tries < 500, 'the batch never waited on the lock');
      await delay(10); // polling the server's view: no event tells when the batch starts waiting
    }
    await holder.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await holder.query('ROLLBACK');
    await settled;
  } finally {
    await holder.end();
  }
}

it('a batch whose connection is lost mid-commit is retried on a fresh connection: the write waits and is stored (no PUBACK for a lost value)', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW });
  const id = await f.addDevice();
  assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: NOW }]), true);
  await terminateMidCommit(f, id, async () => {
    assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 2, ts: NOW + 1 }]), true);
  });
  assert.ok(f.values.stats.retries >= 1, 'the batch was tried again');
  assert.equal(f.values.stats.failedCommits, 0);
  assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 2, updatedAt: NOW + 1 }]);
  assert.equal((await f.values.history(id, { dataStreamId: 1, ...all })).totalElements, 2);
});

it('with maxStallMs 0 a write whose connection is terminated mid-commit rejects; the next write commits on a fresh connection', async (t) => {
  const f = await openPgValueFixture(t, { clock: () => NOW, maxStallMs: 0 });
  const id = await f.addDevice();
  assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 1, ts: NOW }]), true);
  await terminateMidCommit(f, id, () =>
    assert.rejects(f.values.write(id, [{ dataStreamId: 1, value: 2, ts: NOW + 1 }]), StoreWriteError),
  );
  assert.equal(f.values.stats.failedCommits, 1);
  assert.equal(await f.values.write(id, [{ dataStreamId: 1, value: 3, ts: NOW + 2 }]), true);
  assert.deepEqual(await f.values.current(id), [{ dataStreamId: 1, value: 3, updatedAt: NOW + 2 }]);
  assert.equal(
    (await f.values.history(id, { dataStreamId: 1, ...all })).totalElements,
    2,
    'the lost write left nothing',
  );
});
