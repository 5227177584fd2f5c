import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import type { Migration } from '../../src/store/sqlite/migrations.js';
import {
  type CheckpointPolicy,
  checkpointerOf,
  type WalCheckpointer,
} from '../../src/store/sqlite/wal-checkpointer.js';
import { tempDir } from './sqlite-harness.js';

/** One table of 200-byte rows: each insert dirties a leaf page or two. */
const schema: Migration[] = [
  {
    version: 1,
    description: 'rows',
    up: (db) => db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'),
  },
];

function open(t: TestContext, policy: CheckpointPolicy | false, dir = tempDir(t)) {
  const file = join(dir, 'test.sqlite');
  const db = openDatabase(file, { busyTimeoutMs: 1000, migrations: schema, checkpoint: policy });
  t.after(() => {
    if (db.open) db.close();
  });
  const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
  // One transaction per write, as a request-per-commit server makes them.
  const write = (n: number) => {
    for (let i = 0; i < n; i++) insert.run('x'.repeat(200));
  };
  return { db, file, wal: `${file}-wal`, write };
}

function checkpointer(db: Database): WalCheckpointer {
  const c = checkpointerOf(db);
  assert.ok(c, 'a file database in WAL mode gets a background checkpointer');
  return c;
}

function walBytes(wal: string): number {
  return existsSync(wal) ? statSync(wal).size : 0;
}

test('WAL checkpointer - the writer checkpoints itself only at the policy limit, and the WAL file is capped to it', (t) => {
  const { db } = open(t, { intervalMs: 1000, walLimitPages: 4321 });
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 4321);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  assert.equal(db.pragma('journal_size_limit', { simple: true }), 32 + 4321 * (pageSize + 24));
  assert.equal(db.pragma('synchronous', { simple: true }), 1, 'synchronous stays NORMAL');
});

test('WAL checkpointer - background checkpoints copy every commit back, and the next commit restarts the WAL', async (t) => {
  // A limit the test never reaches: only the worker checkpoints.
  const { db, wal, write } = open(t, { intervalMs: 5, walLimitPages: 1_000_000 });
  const c = checkpointer(db);
  write(300);
  const first = { ...(await c.whenCheckpointed()) };
  assert.ok(first.lastLogPages >= 300, `the WAL held the 300 commits (${first.lastLogPages} frames)`);
  const size = walBytes(wal);
  // Every frame was copied back (PASSIVE, no writer in between): the next writer starts the WAL over.
  for (let round = 0; round < 5; round++) {
    write(20);
    const stats = await c.whenCheckpointed();
    assert.ok(stats.lastLogPages < 100, `round ${round}: WAL restarted (${stats.lastLogPages} frames)`);
  }
  assert.equal(walBytes(wal), size, 'the WAL file is reused, not grown');
  assert.equal(c.stats.failures, 0);
});

test('WAL checkpointer - under writes that never pause the WAL stays bounded (the writer checkpoints at walLimitPages)', async (t) => {
  const limit = 200;
  const { db, wal, write } = open(t, { intervalMs: 20, walLimitPages: limit });
  const c = checkpointer(db);
  const frame = (db.pragma('page_size', { simple: true }) as number) + 24;
  let largest = 0;
  // ~5,000 commits/s: a server's pace, not a tight loop.
  for (let done = 0; done < 10_000; done += 5) {
    write(5);
    largest = Math.max(largest, walBytes(wal));
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
  // Without a bound the WAL would hold all of the 10,000+ frames. It may pass the limit by what
  // is committed while a background checkpoint holds the checkpoint lock (the writer's is BUSY).
  assert.ok(largest <= 8 * limit * frame, `WAL reached ${Math.round(largest / frame)} frames`);
  assert.ok(c.stats.checkpoints > 0, 'the worker checkpointed meanwhile');
  assert.equal(c.stats.failures, 0);
});

test('WAL checkpointer - close waits for the worker: the last close removes the WAL and every row is kept', async (t) => {
  const dir = tempDir(t);
  const { db, file, wal, write } = open(t, { intervalMs: 5, walLimitPages: 1_000_000 }, dir);
  write(100);
  await checkpointer(db).whenCheckpointed();
  write(50);
  db.close();
  // SQLite removes the WAL only when the last connection closes: the worker's was closed first.
  assert.equal(existsSync(wal), false);
  const check = new BetterSqlite3(file, { readonly: true });
  t.after(() => check.close());
  assert.equal((check.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n, 150);
});

test('WAL checkpointer - none for checkpoint: false or an in-memory database', (t) => {
  const { db } = open(t, false);
  assert.equal(checkpointerOf(db), undefined);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, "SQLite's default");
  const memory = openDatabase(':memory:', { busyTimeoutMs: 0, migrations: schema });
  t.after(() => memory.close());
  assert.equal(checkpointerOf(memory), undefined);
});

test('WAL checkpointer - the platform database gets one by default', (t) => {
  const db = openPlatformDatabase(join(tempDir(t), 'platform.sqlite'));
  t.after(() => db.close());
  assert.ok(checkpointerOf(db));
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
});
