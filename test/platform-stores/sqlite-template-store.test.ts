import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { Database } from 'better-sqlite3';
import { createSqliteTemplateStore } from '../../src/platform/sqlite/template-store.js';
import type { NewTemplate } from '../../src/platform/templates/template-store.js';
import { insertOrgRow, openTestPlatformDb } from './sqlite-platform-db.js';
import { describeTemplateStoreContract } from './template-store.contract.js';

/** A device row of `templateId` with plain SQL (the device store is not under test here). */
function insertDevice(db: Database, templateId: number): void {
  const { org_id: orgId } = db.prepare('SELECT org_id FROM templates WHERE id = ?').get(templateId) as {
    org_id: number;
  };
  db.prepare(
    `INSERT INTO devices (name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts)
     VALUES ('d', ?, ?, 'CREATED', ?, ?, 0, 0)`,
  ).run(templateId, orgId, randomBytes(32).toString('hex'), randomBytes(16));
}

describeTemplateStoreContract('sqlite', async (t) => {
  const db = openTestPlatformDb(t);
  const root = insertOrgRow(db, 'Root', null);
  const child = insertOrgRow(db, 'Child', root);
  return {
    store: createSqliteTemplateStore(db),
    orgIds: [root, child],
    addDevice: async (templateId) => insertDevice(db, templateId),
  };
});

const draft = (orgId: number): NewTemplate => ({
  templateId: 'TMPLsqlite01',
  orgId,
  name: 'T',
  description: '',
  boardType: '',
  connectionType: '',
  gatewayEnabled: false,
  offlineDelaySec: 60,
  datastreams: [{ name: 'Power', pin: 0, type: 'Integer', isSync: false, isRaw: false }],
  events: [{ code: 'e', name: 'e', type: 'INFORMATION', description: '' }],
  metaFields: [{ name: 'Device Name', type: 'DeviceName', builtIn: true }],
});

test('SQLite template store - templates.org_id must name an organization (foreign key)', async (t) => {
  const db = openTestPlatformDb(t);
  const store = createSqliteTemplateStore(db);
  await assert.rejects(store.insert(draft(4242), 0), /FOREIGN KEY/);
  assert.deepEqual(await store.loadAll(), []);
});

test('SQLite template store - an organization that owns templates cannot be deleted under the cache', async (t) => {
  const db = openTestPlatformDb(t);
  const org = insertOrgRow(db, 'Root', null);
  await createSqliteTemplateStore(db).insert(draft(org), 0);
  assert.throws(() => db.prepare('DELETE FROM organizations WHERE id = ?').run(org), /FOREIGN KEY/);
});

test('SQLite template store - deleting a template deletes its child rows', async (t) => {
  const db = openTestPlatformDb(t);
  const store = createSqliteTemplateStore(db);
  const created = await store.insert(draft(insertOrgRow(db, 'Root', null)), 0);
  assert.equal(await store.delete(created.id), 'deleted');
  for (const table of ['datastreams', 'template_events', 'meta_fields']) {
    assert.deepEqual(db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), { n: 0 }, table);
  }
});
