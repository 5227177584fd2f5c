import { PostgresUploadStore } from '../../src/platform/postgres/postgres-upload-store.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { insertPgDeviceRow, insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';
import { describeUploadStoreContract } from './upload-store.contract.js';

describeUploadStoreContract(
  'postgres',
  async (t, options) => {
    const { pool } = await openTestPlatformPool(t);
    const org = await insertPgOrgRow(pool, 'o', null);
    const devices: number[] = [];
    for (let i = 0; i < 3; i++) devices.push(await insertPgDeviceRow(pool, org));
    return { uploads: new PostgresUploadStore(pool, options), devices: devices as [number, number, number] };
  },
  postgresTestOptions(),
);
