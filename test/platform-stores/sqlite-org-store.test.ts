import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConflictError } from '../../src/platform/errors.js';
import { createSqliteOrgStore } from '../../src/platform/sqlite/org-store.js';
import { describeOrgStoreContract, newOrg } from './org-store.contract.js';
import { insertDeviceRow, openTestPlatformDb } from './sqlite-platform-db.js';

describeOrgStoreContract('sqlite', async (t) => {
  const db = openTestPlatformDb(t);
  return { store: createSqliteOrgStore(db), addDevice: async (orgId) => insertDeviceRow(db, orgId) };
});

test('SQLite OrgStore - an org that owns a template cannot be deleted (no cascade to templates)', async (t) => {
  const db = openTestPlatformDb(t);
  const store = createSqliteOrgStore(db);
  const root = await store.insert(newOrg({ type: 'ROOT' }));
  const org = await store.insert(newOrg({ parentOrganizationId: root.id }));
  db.prepare(
    "INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts) VALUES ('TMPL12345678', ?, 'T', 0, 0)",
  ).run(org.id);
  await assert.rejects(store.delete(org.id), ConflictError);
});

test('SQLite OrgStore - deleting an org removes its users and OAuth clients with their tokens', async (t) => {
  const db = openTestPlatformDb(t);
  const store = createSqliteOrgStore(db);
  const root = await store.insert(newOrg({ type: 'ROOT' }));
  const org = await store.insert(newOrg({ parentOrganizationId: root.id }));
  db.prepare(
    "INSERT INTO users (org_id, email, name, role, password_hash, created_at) VALUES (?, 'a@b.c', 'A', 'viewer', '!', 0)",
  ).run(org.id);
  const client = db
    .prepare(
      `INSERT INTO oauth_clients (client_id, name, org_id, redirect_urls, secret_hash, created_at)
       VALUES ('oa2-client-id_x', 'c', ?, '[]', 'h', 0) RETURNING id`,
    )
    .get(org.id) as { id: number };
  db.prepare("INSERT INTO access_tokens VALUES ('h1', ?, ?, 1, 0)").run(client.id, org.id);
  db.prepare("INSERT INTO refresh_tokens VALUES ('h2', ?, ?, 1, 0)").run(client.id, org.id);
  assert.equal(await store.delete(org.id), true);
  for (const table of ['users', 'oauth_clients', 'access_tokens', 'refresh_tokens']) {
    assert.equal((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n, 0, table);
  }
});
