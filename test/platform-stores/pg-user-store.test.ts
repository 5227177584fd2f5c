import { createPostgresUserStore } from '../../src/platform/postgres/pg-user-store.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';
import { describeUserStoreContract } from './user-store.contract.js';

describeUserStoreContract(
  'postgres',
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const root = await insertPgOrgRow(pool, 'Root', null);
    return {
      store: createPostgresUserStore(pool),
      orgA: await insertPgOrgRow(pool, 'Org A', root),
      orgB: await insertPgOrgRow(pool, 'Org B', root),
    };
  },
  postgresTestOptions(),
);
