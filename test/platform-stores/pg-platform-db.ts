import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type pg from 'pg';
import { openPlatformPool, type PlatformPoolOptions } from '../../src/platform/postgres/platform-pool.js';
import { freshDatabase } from '../helpers/postgres.js';

/** A migrated platform schema in a fresh PostgreSQL database, dropped after the test. */
export async function openTestPlatformPool(
  t: TestContext,
  options: PlatformPoolOptions = {},
): Promise<{ pool: pg.Pool; url: string }> {
  let pool: pg.Pool | undefined;
  const url = await freshDatabase(t, async () => {
    await pool?.end();
  });
  pool = await openPlatformPool(url, options);
  return { pool, url };
}

/** Inserts a bare org with plain SQL; returns its id. */
export async function insertPgOrgRow(pool: pg.Pool, name: string, parentId: number | null): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO organizations (parent_id, name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
     VALUES ($1, $2, lower($2), $3, 'UTC', 'METRIC', 0, 0) RETURNING id`,
    [parentId, name, parentId === null ? 'ROOT' : 'BUSINESS'],
  );
  return (rows[0] as { id: number }).id;
}

/** Inserts a bare template into `orgId` with plain SQL; returns its id. */
export async function insertPgTemplateRow(pool: pg.Pool, orgId: number): Promise<number> {
  const now = Date.now();
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts)
     VALUES ($1, $2, 'T', $3, $3) RETURNING id`,
    [`TMPL${randomBytes(5).toString('hex')}`, orgId, now],
  );
  return (rows[0] as { id: number }).id;
}

/** Inserts a template and a device of it into `orgId` with plain SQL; returns the device id. */
export async function insertPgDeviceRow(pool: pg.Pool, orgId: number): Promise<number> {
  const templateId = await insertPgTemplateRow(pool, orgId);
  const now = Date.now();
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO devices (name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts)
     VALUES ('d', $1, $2, 'CREATED', $3, $4, $5, $5) RETURNING id`,
    [templateId, orgId, randomBytes(32).toString('hex'), randomBytes(16), now],
  );
  return (rows[0] as { id: number }).id;
}
