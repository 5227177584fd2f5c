import type { TestContext } from 'node:test';
import type pg from 'pg';
import {
  createPostgresValueStore,
  type PostgresValueStore,
  type PostgresValueStoreOptions,
} from '../../src/platform/postgres/pg-value-store.js';
import { insertPgDeviceRow, insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';
import type { ValueStoreFixture } from './value-store.contract.js';

export interface PgValueFixture extends ValueStoreFixture {
  readonly values: PostgresValueStore;
  readonly pool: pg.Pool;
  readonly url: string;
}

/**
 * The PostgreSQL value store on a fresh migrated database. Devices are plain rows (no device
 * store needed); deleting one is a plain DELETE, as every device store does.
 */
export async function openPgValueFixture(
  t: TestContext,
  options: PostgresValueStoreOptions = {},
): Promise<PgValueFixture> {
  const { pool, url } = await openTestPlatformPool(t);
  const orgId = await insertPgOrgRow(pool, 'Root', null);
  const values = createPostgresValueStore(pool, options);
  return {
    values,
    pool,
    url,
    addDevice: () => insertPgDeviceRow(pool, orgId),
    deleteDevice: async (id) => {
      await pool.query('DELETE FROM devices WHERE id = $1', [id]);
    },
  };
}
