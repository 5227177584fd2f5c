import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { StoreCorruptError, StoreVersionError } from '../../src/store/errors.js';
import { latestVersion, type Migration, migrations } from '../../src/store/sqlite/migrations.js';
import { openSqliteStores, type SqliteStoreOptions } from '../../src/store/sqlite/open-sqlite-stores.js';
import { bareSession } from './fixtures.js';
import { tempDir } from './sqlite-harness.js';

/** Opens, then closes after the test. */
function openClosing(t: TestContext, file: string, options?: SqliteStoreOptions) {
  const stores = openSqliteStores(file, options);
  t.after(() => stores.close());
  return stores;
}

function inspect(file: string) {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      tables: (
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((r) => r.name),
    };
  } finally {
    db.close();
  }
}

test('SQLite migrations - steps are numbered 1..n in array order', () => {
  assert.deepEqual(
    migrations.map((m) => m.version),
    Array.from({ length: latestVersion }, (_, i) => i + 1),
  );
});

test('SQLite migrations - a missing file (and its directory) is created at the latest version in WAL mode', async (t) => {
  const file = join(tempDir(t), 'nested', 'data', 'engine.sqlite');
  await openSqliteStores(file).close();
  assert.deepEqual(inspect(file), {
    version: latestVersion,
    journalMode: 'wal',
    tables: ['inbound_qos2', 'outbound', 'retained', 'sessions'],
  });
});

test('SQLite migrations - an empty (0-byte) file is migrated from version 0', async (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  writeFileSync(file, '');
  const stores = openClosing(t, file);
  stores.sessions.putSession(bareSession('c1'));
  assert.equal((await stores.sessions.loadAll()).length, 1);
  assert.equal(inspect(file).version, latestVersion);
});

test('SQLite migrations - a newer user_version is refused with StoreVersionError, file untouched', (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  const future = new BetterSqlite3(file);
  future.exec('CREATE TABLE from_the_future (x)');
  future.pragma(`user_version = ${latestVersion + 1}`);
  future.close();
  assert.throws(
    () => openSqliteStores(file),
    (err) =>
      err instanceof StoreVersionError &&
      err.code === 'STORE_VERSION_TOO_NEW' &&
      err.foundVersion === latestVersion + 1 &&
      err.supportedVersion === latestVersion &&
      err.message.includes(file),
  );
  assert.deepEqual(inspect(file).tables, ['from_the_future']);
  assert.equal(inspect(file).version, latestVersion + 1);
});

test('SQLite migrations - a file that is not SQLite is refused with StoreCorruptError, file untouched', (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  const garbage = Buffer.from('this was never a database '.repeat(400));
  writeFileSync(file, garbage);
  assert.throws(() => openSqliteStores(file), StoreCorruptError);
  assert.deepEqual(readFileSync(file), garbage);
});

test('SQLite migrations - a damaged schema page is refused with StoreCorruptError', async (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  await openSqliteStores(file).close();
  const bytes = readFileSync(file);
  bytes.fill(0xff, 100, 4096); // page 1 after the 100-byte header holds sqlite_schema
  writeFileSync(file, bytes);
  assert.throws(() => openSqliteStores(file), StoreCorruptError);
});

test('SQLite migrations - a failing step rolls back and leaves the previous version', async (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  const failing: Migration = {
    version: latestVersion + 1,
    description: 'fails half way',
    up: (db) => {
      db.exec('CREATE TABLE half_done (x)');
      throw new Error('boom');
    },
  };
  assert.throws(() => openSqliteStores(file, { migrations: [...migrations, failing] }), /boom/);
  assert.deepEqual(inspect(file).version, latestVersion);
  assert.ok(!inspect(file).tables.includes('half_done'));
  const stores = openClosing(t, file);
  assert.deepEqual(await stores.sessions.loadAll(), []);
});

test('SQLite migrations - reopening applies only the missing steps and keeps the data', async (t) => {
  const file = join(tempDir(t), 'engine.sqlite');
  const first = openSqliteStores(file);
  first.sessions.putSession(bareSession('c1'));
  await first.close();
  const added: Migration = {
    version: latestVersion + 1,
    description: 'adds a table',
    up: (db) => db.exec('CREATE TABLE added (x)'),
  };
  const stores = openClosing(t, file, { migrations: [...migrations, added] });
  assert.equal(inspect(file).version, latestVersion + 1);
  assert.ok(inspect(file).tables.includes('added'));
  assert.deepEqual(
    (await stores.sessions.loadAll()).map((l) => l.session),
    [bareSession('c1')],
  );
});
