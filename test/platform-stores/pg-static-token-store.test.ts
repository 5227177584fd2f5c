import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashDeviceToken, openDeviceToken } from '../../src/platform/devices/device-token.js';
import { DeviceStatus } from '../../src/platform/model.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { newDevice, T0 } from './device-store-fixture.js';
import {
  addHistoryRows,
  openPgDeviceFixture,
  openPgDeviceWorld,
  valueRowCounts,
} from './pg-device-harness.js';
import { describeStaticTokenStoreContract } from './static-token-store.contract.js';

describeStaticTokenStoreContract('postgres', openPgDeviceFixture, postgresTestOptions());

const options = postgresTestOptions();

test(
  'StaticTokenStore (postgres) - QR tokens are stored as sha256 + AES-GCM, never in clear (spec §9 "Tokens and secrets")',
  options,
  async (t) => {
    const w = await openPgDeviceWorld(t);
    const token = 'sqr_stored-only-sealed-0123456789';
    const [made] = await w.stores.staticTokens.createMany([
      {
        token,
        orgId: w.orgIds[1],
        productId: w.templateIds[0],
        createdAt: T0,
        device: newDevice(w, { status: DeviceStatus.Unclaimed }),
      },
    ]);
    assert.ok(made);
    const { rows } = await w.pool.query<{ token_hash: string; token_enc: Buffer; whole: string }>(
      'SELECT token_hash, token_enc, s::text AS whole FROM static_tokens s WHERE id = $1',
      [made.staticToken.id],
    );
    const row = rows[0];
    assert.ok(row);
    assert.equal(row.token_hash, hashDeviceToken(token));
    assert.equal(openDeviceToken(w.tokenKey, row.token_enc, row.token_hash), token);
    assert.equal(row.whole.includes(token), false);
    assert.equal(row.token_enc.includes(Buffer.from(token)), false);
  },
);

test('StaticTokenStore (postgres) - delete erases the device’s history too', options, async (t) => {
  const w = await openPgDeviceWorld(t);
  const [made] = await w.stores.staticTokens.createMany([
    {
      token: 'sqr_history',
      orgId: w.orgIds[1],
      productId: w.templateIds[0],
      createdAt: T0,
      device: newDevice(w, { status: DeviceStatus.Unclaimed }),
    },
  ]);
  assert.ok(made);
  await addHistoryRows(w.pool, [made.device.id]);
  assert.equal(await w.stores.staticTokens.delete(made.staticToken.id), true);
  assert.deepEqual(await valueRowCounts(w.pool, made.device.id), [0, 0]);
});
