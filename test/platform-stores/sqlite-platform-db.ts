import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Database } from 'better-sqlite3';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';

/** A migrated platform database in memory, closed after the test. */
export function openTestPlatformDb(t: TestContext): Database {
  const db = openPlatformDatabase(':memory:');
  t.after(() => db.close());
  return db;
}

/** Inserts a template and a device of it into `orgId` with plain SQL (no device store needed). */
export function insertDeviceRow(db: Database, orgId: number): void {
  const now = Date.now();
  const template = db
    .prepare(
      'INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts) VALUES (?, ?, ?, ?, ?) RETURNING id',
    )
    .get(`TMPL${randomBytes(5).toString('hex')}`, orgId, 'T', now, now) as { id: number };
  db.prepare(
    `INSERT INTO devices (name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts)
     VALUES ('d', ?, ?, 'CREATED', ?, ?, ?, ?)`,
  ).run(template.id, orgId, randomBytes(32).toString('hex'), randomBytes(16), now, now);
}

/** Inserts a bare org with plain SQL; returns its id. */
export function insertOrgRow(db: Database, name: string, parentId: number | null): number {
  const row = db
    .prepare(
      `INSERT INTO organizations (parent_id, name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
       VALUES (?, ?, lower(?), ?, 'UTC', 'METRIC', 0, 0) RETURNING id`,
    )
    .get(parentId, name, name, parentId === null ? 'ROOT' : 'BUSINESS') as { id: number };
  return row.id;
}
