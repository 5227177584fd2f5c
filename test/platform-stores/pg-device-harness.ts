import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type pg from 'pg';
import type { DeviceStores } from '../../src/platform/devices/device-stores.js';
import { createPostgresAttributeStore } from '../../src/platform/postgres/pg-attribute-store.js';
import { createPostgresDeviceStore } from '../../src/platform/postgres/pg-device-store.js';
import { createPostgresEventLogStore } from '../../src/platform/postgres/pg-event-log-store.js';
import { createPostgresStaticTokenStore } from '../../src/platform/postgres/pg-static-token-store.js';
import { createPostgresValueStore } from '../../src/platform/postgres/pg-value-store.js';
import { type DeviceStoreFixture, type OpenDeviceStores, T0 } from './device-store-fixture.js';
import { insertPgOrgRow, insertPgTemplateRow, openTestPlatformPool } from './pg-platform-db.js';

/** The PostgreSQL device stores on `pool`; `tokenKey` seals static tokens. */
export function postgresDeviceStores(pool: pg.Pool, tokenKey: Buffer): DeviceStores {
  return {
    devices: createPostgresDeviceStore(pool),
    staticTokens: createPostgresStaticTokenStore(pool, tokenKey),
    values: createPostgresValueStore(pool),
    attributes: createPostgresAttributeStore(pool),
    events: createPostgresEventLogStore(pool),
  };
}

/** The fixture and the pool under it (for runners that look at the tables themselves). */
export async function openPgDeviceWorld(
  t: TestContext,
): Promise<DeviceStoreFixture & { pool: pg.Pool; url: string; tokenKey: Buffer }> {
  const { pool, url } = await openTestPlatformPool(t);
  const root = await insertPgOrgRow(pool, 'Root', null);
  const a = await insertPgOrgRow(pool, 'Org A', root);
  const b = await insertPgOrgRow(pool, 'Org B', root);
  const first = await insertPgTemplateRow(pool, root);
  const second = await insertPgTemplateRow(pool, root);
  const tokenKey = randomBytes(32);
  return {
    pool,
    url,
    tokenKey,
    stores: postgresDeviceStores(pool, tokenKey),
    orgIds: [root, a, b],
    templateIds: [first, second],
  };
}

/**
 * The device stores on a fresh, migrated PostgreSQL database; orgs and templates are plain rows
 * (the org and template stores are not needed to point devices at them).
 */
export const openPgDeviceFixture: OpenDeviceStores = (t) => openPgDeviceWorld(t);

/** Plain history rows (they land in the schema's DEFAULT partition) and current values. */
export async function addHistoryRows(pool: pg.Pool, deviceIds: readonly number[]): Promise<void> {
  for (const deviceId of deviceIds) {
    await pool.query(
      `INSERT INTO history (device_id, datastream_id, ts, value) VALUES ($1, 1, $2, '1'), ($1, 2, $2, '2')`,
      [deviceId, T0],
    );
    await pool.query(
      `INSERT INTO current_values (device_id, datastream_id, value, updated_at) VALUES ($1, 1, '1', $2)`,
      [deviceId, T0],
    );
  }
}

export async function valueRowCounts(pool: pg.Pool, deviceId: number): Promise<[number, number]> {
  const { rows } = await pool.query<{ history: number; current: number }>(
    `SELECT (SELECT count(*) FROM history WHERE device_id = $1) AS history,
            (SELECT count(*) FROM current_values WHERE device_id = $1) AS current`,
    [deviceId],
  );
  return [rows[0]?.history ?? -1, rows[0]?.current ?? -1];
}
