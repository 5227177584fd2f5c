import { createPostgresOtaStore } from '../../src/ota/postgres-ota-store.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { describeOtaStoreContract } from './ota-store.contract.js';
import { insertPgDeviceRow, insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';

describeOtaStoreContract(
  'postgres',
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const root = await insertPgOrgRow(pool, 'root', null);
    const orgs = [await insertPgOrgRow(pool, 'a', root), await insertPgOrgRow(pool, 'b', root)] as const;
    const devices: number[] = [];
    for (let i = 0; i < 3; i++) devices.push(await insertPgDeviceRow(pool, orgs[0]));
    return { store: createPostgresOtaStore(pool), orgs, devices: devices as [number, number, number] };
  },
  postgresTestOptions(),
);
