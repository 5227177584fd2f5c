import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  DataDirError,
  preparePrivateDatabaseFile,
  preparePrivateDir,
  writePrivateFileAtomic,
} from '../../src/store/private-files.js';
import { openDatabase } from '../../src/store/sqlite/database.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-private-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

test('data dir: a new one is made 0700, parents included', async (t) => {
  const dir = join(tempDir(t), 'a', 'data');
  await preparePrivateDir(dir);
  assert.equal(modeOf(dir), 0o700);
});

test('data dir: an existing 0755 one (mkdir -p data) is tightened to 0700', async (t) => {
  const dir = join(tempDir(t), 'data');
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  await preparePrivateDir(dir);
  assert.equal(modeOf(dir), 0o700);
});

test('data dir: one open to others that cannot be tightened is refused with one clear message', async () => {
  // A proc directory: 0555 and no chmod allowed, not even for root.
  const dir = '/proc/1/fdinfo';
  await assert.rejects(preparePrivateDir(dir), (err: unknown) => {
    assert.ok(err instanceof DataDirError);
    assert.match(err.message, /accessible to group\/others \(mode 0555\) and cannot be made owner-only/);
    assert.match(err.message, /chmod 700 \/proc\/1\/fdinfo/);
    return true;
  });
});

test('SQLite: the database, its -wal and -shm are 0600, an old 0644 file is tightened', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'x.sqlite');
  const db = openDatabase(file, { busyTimeoutMs: 100, checkpoint: false });
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(modeOf(path), 0o600, path);
  db.close();
  chmodSync(file, 0o644);
  preparePrivateDatabaseFile(file);
  assert.equal(modeOf(file), 0o600);
});

test('private files are written 0600 whatever the umask', async (t) => {
  const path = join(tempDir(t), 'listeners.json');
  const previous = process.umask(0);
  try {
    await writePrivateFileAtomic(path, '{}\n');
  } finally {
    process.umask(previous);
  }
  assert.equal(modeOf(path), 0o600);
});
