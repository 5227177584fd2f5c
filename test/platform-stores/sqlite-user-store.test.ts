import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { platformMigrations } from '../../src/platform/sqlite/migrations.js';
import { createSqliteUserStore } from '../../src/platform/sqlite/sqlite-user-store.js';
import { insertOrgRow, openTestPlatformDb } from './sqlite-platform-db.js';
import { describeUserStoreContract } from './user-store.contract.js';

describeUserStoreContract('sqlite', async (t) => {
  const db = openTestPlatformDb(t);
  const root = insertOrgRow(db, 'Root', null);
  return {
    store: createSqliteUserStore(db),
    orgA: insertOrgRow(db, 'Org A', root),
    orgB: insertOrgRow(db, 'Org B', root),
  };
});

test('SQLite platform schema step 7 keeps users of step 1 (ids, lower-cased email, nearest role, no password)', (t) => {
  const db = openPlatformDatabase(':memory:', { migrations: platformMigrations.slice(0, 6) });
  t.after(() => db.close());
  const root = insertOrgRow(db, 'Root', null);
  db.prepare(
    "INSERT INTO users (id, org_id, email, name, role, created_at) VALUES (5, ?, 'Ann@Example.com', 'Ann', 'STAFF', 1)",
  ).run(root);
  const step7 = platformMigrations[6];
  assert.ok(step7 !== undefined && step7.version === 7);
  db.transaction(() => step7.up(db))();
  const row = db.prepare('SELECT id, email, role, password_hash FROM users').get();
  assert.deepEqual(row, { id: 5, email: 'ann@example.com', role: 'staff', password_hash: '!' });
});
