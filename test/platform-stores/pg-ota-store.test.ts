import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceOtaStatus } from '../../src/ota/model.js';
import { createPostgresOtaStore } from '../../src/ota/postgres-ota-store.js';
import { NotFoundError } from '../../src/platform/errors.js';
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

test(
  'ota store (postgres): a shipment to a device deleted meanwhile is NotFoundError',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresOtaStore(pool);
    const org = await insertPgOrgRow(pool, 'o', null);
    const firmware = await store.insertFirmware({
      orgId: org,
      name: 'fw',
      size: 1,
      sha256: 'a'.repeat(64),
      md5: 'b'.repeat(32),
      createdAt: 0,
    });
    const shipment = {
      orgId: org,
      firmwareId: firmware.id,
      name: 's',
      createdAt: 1,
      devices: [{ deviceId: 987_654, status: DeviceOtaStatus.ProcessStarted }],
    };
    await assert.rejects(store.createShipment(shipment), NotFoundError);
  },
);
