import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { NotFoundError } from '../../src/platform/errors.js';
import { createPostgresUploadStore } from '../../src/platform/postgres/pg-upload-store.js';
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
    return {
      uploads: createPostgresUploadStore(pool, options),
      devices: devices as [number, number, number],
    };
  },
  postgresTestOptions(),
);

test(
  'upload store (postgres): a device deleted meanwhile is NotFoundError, not a driver error',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const uploads = createPostgresUploadStore(pool, { key: randomBytes(32), maxFiles: 3 });
    await assert.rejects(uploads.save(987_654, 'a.txt', Buffer.from('x')), NotFoundError);
  },
);
