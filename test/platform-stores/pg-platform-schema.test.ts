import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pgPlatformMigrations } from '../../src/platform/postgres/migrations.js';
import { openPlatformPool } from '../../src/platform/postgres/platform-pool.js';
import { StoreVersionError } from '../../src/store/errors.js';
import { openPostgresStores } from '../../src/store/postgres/open-postgres-stores.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { insertPgDeviceRow, insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';

const version = async (url: string): Promise<number | undefined> =>
  (await queryAt<{ version: number }>(url, 'SELECT version FROM devgate_platform_schema'))[0]?.version;

test(
  'PostgreSQL platform schema - a new database gets every step, versioned apart from the engine schema',
  postgresTestOptions(),
  async (t) => {
    const { pool, url } = await openTestPlatformPool(t);
    assert.equal(await version(url), pgPlatformMigrations.length);
    const engine = await openPostgresStores(url);
    await engine.close();
    assert.equal(
      await version(url),
      pgPlatformMigrations.length,
      'the engine migration leaves the platform version alone',
    );
    const root = await insertPgOrgRow(pool, 'Root', null);
    const device = await insertPgDeviceRow(pool, root);
    assert.equal(typeof device, 'number', 'bigint ids read as numbers');
  },
);

test(
  'PostgreSQL platform schema - an older schema upgrades; a newer one is refused untouched',
  postgresTestOptions(),
  async (t) => {
    let pool: Awaited<ReturnType<typeof openPlatformPool>> | undefined;
    const url = await freshDatabase(t, async () => pool?.end());
    const first = await openPlatformPool(url, { migrations: pgPlatformMigrations.slice(0, 2) });
    await first.end();
    assert.equal(await version(url), 2);
    pool = await openPlatformPool(url);
    assert.equal(await version(url), pgPlatformMigrations.length);
    await pool.end();
    pool = undefined;
    await queryAt(url, 'UPDATE devgate_platform_schema SET version = version + 1');
    await assert.rejects(openPlatformPool(url), StoreVersionError);
    assert.equal(await version(url), pgPlatformMigrations.length + 1);
  },
);
