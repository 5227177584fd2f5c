import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { StoreClosedError, StoreWriteError } from '../../src/store/errors.js';
import { openSqliteStores, type SqliteStoreOptions } from '../../src/store/sqlite/open-sqlite-stores.js';
import { bareSession, fullMessage, outbound } from './fixtures.js';
import { describeRetainedStoreContract } from './retained-store.contract.js';
import { describeSessionStoreContract } from './session-store.contract.js';
import { sqliteHarness, tempDir } from './sqlite-harness.js';

describeSessionStoreContract('sqlite', sqliteHarness(), { durable: true });
describeRetainedStoreContract('sqlite', sqliteHarness(), { durable: true });
// A batch bound of 1 commits every write on its own: the contract must hold without coalescing too.
describeSessionStoreContract('sqlite, batch of 1', sqliteHarness({ maxBatchSize: 1 }), { durable: true });

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Stores on a fresh file plus a second connection to it, as a backup tool would open. */
function open(t: TestContext, options: SqliteStoreOptions = {}) {
  let stores: ReturnType<typeof openSqliteStores> | undefined;
  let peer: BetterSqlite3.Database | undefined;
  const dir = tempDir(t, async () => {
    peer?.close();
    await stores?.close();
  });
  stores = openSqliteStores(join(dir, 'engine.sqlite'), options);
  peer = new BetterSqlite3(join(dir, 'engine.sqlite'));
  const db = peer;
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { stores, peer, count };
}

function captureLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

test('SQLite store - a write is committed on the next event-loop turn without flush', async (t) => {
  const { stores, count } = open(t);
  stores.sessions.putSession(bareSession('c1'));
  stores.retained.put(fullMessage('r'));
  assert.deepEqual([count('sessions'), count('retained')], [0, 0]);
  await nextTurn();
  assert.deepEqual([count('sessions'), count('retained')], [1, 1]);
  assert.equal(stores.stats.commits, 1);
});

test('SQLite store - 10,000 writes are committed in a few transactions, none lost', async (t) => {
  const { stores, count } = open(t);
  for (let c = 0; c < 10; c++) {
    stores.sessions.putSession(bareSession(`c${c}`));
    for (let seq = 998; seq >= 0; seq--) stores.sessions.putOutbound(`c${c}`, outbound(seq));
  }
  await stores.sessions.flush();
  assert.ok(stores.stats.commits >= 1 && stores.stats.commits <= 11, `commits: ${stores.stats.commits}`);
  assert.equal(stores.stats.failedCommits, 0);
  assert.equal(count('outbound'), 9990);
  const loaded = await stores.sessions.loadAll();
  assert.equal(loaded.length, 10);
  for (const { outbound: queue } of loaded) {
    assert.deepEqual(
      queue.map((o) => o.seq),
      Array.from({ length: 999 }, (_, i) => i),
    );
  }
});

test('SQLite store - rewrites of one row within a batch are applied once', async (t) => {
  const { stores } = open(t);
  for (let i = 0; i < 500; i++) {
    stores.sessions.putOutbound('c1', outbound(1, 'publish', i + 1));
    stores.retained.put(fullMessage('r', { createdAt: i }));
  }
  await stores.sessions.flush();
  assert.deepEqual([stores.stats.commits, stores.stats.appliedWrites], [1, 2]);
});

test('SQLite store - payload is a BLOB and properties JSON keeps correlationData exact', async (t) => {
  const { stores, peer } = open(t);
  stores.retained.put(fullMessage('r'));
  await stores.retained.flush();
  const row = peer.prepare('SELECT typeof(payload) AS type, properties FROM retained').get() as {
    type: string;
    properties: string;
  };
  assert.equal(row.type, 'blob');
  const stored = JSON.parse(row.properties) as { correlationData: string };
  assert.deepEqual(
    Buffer.from(stored.correlationData, 'base64'),
    fullMessage('r').properties.correlationData,
  );
});

test('SQLite store - a failing commit is logged, not thrown, and rejects the next flush once', async (t) => {
  const { lines, logger } = captureLogger();
  const { stores, peer } = open(t, { logger, busyTimeoutMs: 0 });
  peer.exec('BEGIN IMMEDIATE'); // another connection holds the write lock: our commit gets SQLITE_BUSY
  stores.sessions.putSession(bareSession('lost'));
  await nextTurn(); // the scheduled commit fails inside setImmediate; the process carries on
  assert.equal(stores.stats.failedCommits, 1);
  assert.ok(lines.some((l) => l.level === 50 && l.msg.includes('batch commit failed')));
  await assert.rejects(stores.sessions.flush(), StoreWriteError);
  await stores.sessions.flush(); // reported once

  stores.sessions.putSession(bareSession('also-lost'));
  await assert.rejects(stores.retained.flush(), StoreWriteError); // the flush's own commit fails

  peer.exec('ROLLBACK');
  stores.sessions.putSession(bareSession('kept'));
  await stores.sessions.flush();
  assert.deepEqual(
    (await stores.sessions.loadAll()).map((l) => l.session.clientId),
    ['kept'],
  );
});

test('SQLite store - close reports a failed final commit and still closes the database', async (t) => {
  const { stores, peer } = open(t, { busyTimeoutMs: 0 });
  peer.exec('BEGIN IMMEDIATE');
  stores.sessions.putOutbound('c1', outbound(1));
  await assert.rejects(stores.close(), StoreWriteError);
  peer.exec('ROLLBACK');
  assert.throws(() => stores.sessions.putSession(bareSession()), StoreClosedError);
  await stores.close();
});

test('SQLite store - loadAll does not swallow a commit failure that flush must report', async (t) => {
  const { stores, peer } = open(t, { busyTimeoutMs: 0 });
  peer.exec('BEGIN IMMEDIATE');
  stores.sessions.putSession(bareSession('c1'));
  assert.deepEqual(await stores.sessions.loadAll(), []); // readers are not blocked in WAL mode
  peer.exec('ROLLBACK');
  await assert.rejects(stores.sessions.flush(), StoreWriteError);
});
