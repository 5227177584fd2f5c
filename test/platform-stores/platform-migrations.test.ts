import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { platformMigrations } from '../../src/platform/sqlite/migrations.js';
import { StoreVersionError } from '../../src/store/errors.js';
import { callerFor, openTestPlatform } from '../helpers/platform.js';

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-platform-migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'platform.sqlite');
}

test('platform db migrations - a database created by every older schema upgrades and keeps its data', async (t) => {
  for (let version = 1; version < platformMigrations.length; version++) {
    const file = tempFile(t);
    const old = openPlatformDatabase(file, { migrations: platformMigrations.slice(0, version) });
    assert.equal(old.pragma('user_version', { simple: true }), version);
    old
      .prepare(
        `INSERT INTO organizations (parent_id, name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
         VALUES (NULL, 'Old Root', 'old root', 'ROOT', 'UTC', 'METRIC', 1, 1)`,
      )
      .run();
    old.close();

    const platform = await openTestPlatform(t, { file });
    const root = await platform.orgs.root();
    assert.equal(root?.name, 'Old Root', `data kept when upgrading from version ${version}`);
    // The upgraded schema is complete: everything the services need works on it.
    const template = await platform.templates.create(callerFor(root!.id), { name: 'After upgrade' });
    const { device } = await platform.devices.create(callerFor(root!.id), {
      templateId: template.id,
      name: 'd',
    });
    assert.equal(device.orgId, root!.id);
    const check = new BetterSqlite3(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), platformMigrations.length);
    check.close();
  }
});

test('platform db migrations - a database from a newer devgate is refused with a clear message, untouched', (t) => {
  const file = tempFile(t);
  openPlatformDatabase(file).close();
  const raw = new BetterSqlite3(file);
  raw.pragma(`user_version = ${platformMigrations.length + 1}`);
  raw.close();
  assert.throws(
    () => openPlatformDatabase(file),
    (err: unknown) =>
      err instanceof StoreVersionError &&
      err.foundVersion === platformMigrations.length + 1 &&
      /newer than the \d+ this devgate supports/.test(err.message),
  );
  const after = new BetterSqlite3(file, { readonly: true });
  assert.equal(after.pragma('user_version', { simple: true }), platformMigrations.length + 1);
  after.close();
});
