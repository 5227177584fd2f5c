import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { createPostgresAttributeStore } from '../../src/platform/postgres/pg-attribute-store.js';
import { createPostgresDeviceStore } from '../../src/platform/postgres/pg-device-store.js';
import { createPostgresEventLogStore } from '../../src/platform/postgres/pg-event-log-store.js';
import { openPlatformPool } from '../../src/platform/postgres/platform-pool.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { describeDeviceStoreContract } from './device-store.contract.js';
import { newDevice, T0 } from './device-store-fixture.js';
import {
  addHistoryRows,
  openPgDeviceFixture,
  openPgDeviceWorld,
  valueRowCounts,
} from './pg-device-harness.js';

describeDeviceStoreContract('postgres', openPgDeviceFixture, postgresTestOptions());

const options = postgresTestOptions();

test(
  'DeviceStore (postgres) - delete erases the device’s history too (the partitioned table has no foreign key)',
  options,
  async (t) => {
    const w = await openPgDeviceWorld(t);
    const gone = await w.stores.devices.insert(newDevice(w));
    const kept = await w.stores.devices.insert(newDevice(w));
    await addHistoryRows(w.pool, [gone.id, kept.id]);
    assert.equal(await w.stores.devices.delete(gone.id), true);
    assert.deepEqual(await valueRowCounts(w.pool, gone.id), [0, 0]);
    assert.deepEqual(await valueRowCounts(w.pool, kept.id), [2, 1]);
  },
);

test(
  'DeviceStore (postgres) - list search folds case beyond ASCII with lower() of the database',
  options,
  async (t) => {
    const w = await openPgDeviceWorld(t);
    const { rows } = await w.pool.query<{ ctype: string }>(
      'SELECT datctype AS ctype FROM pg_database WHERE datname = current_database()',
    );
    // Documented limit: a database created with LC_CTYPE "C" folds ASCII only.
    if (rows[0]?.ctype === 'C' || rows[0]?.ctype === 'POSIX')
      return t.skip('database LC_CTYPE folds ASCII only');
    const device = await w.stores.devices.insert(newDevice(w, { name: 'ÄRGER Straße' }));
    const page = await w.stores.devices.list({
      orgIds: w.orgIds,
      nameContains: 'ärger',
      offset: 0,
      limit: 5,
    });
    assert.deepEqual(page.content, [device]);
  },
);

test(
  'Device stores (postgres) - a connection failure rejects; it is not read as "device unknown"',
  options,
  async (t) => {
    const w = await openPgDeviceWorld(t);
    const { id } = await w.stores.devices.insert(newDevice(w));
    const closed = await openPlatformPool(w.url);
    await closed.end();
    await assert.rejects(createPostgresAttributeStore(closed).setProperty(id, 1, 'label', ['x']));
    await assert.rejects(createPostgresAttributeStore(closed).setMetaValue(id, 1, 'x'));
    await assert.rejects(
      createPostgresEventLogStore(closed).append({
        deviceId: id,
        eventId: 1,
        code: 'c',
        description: '',
        ts: T0,
      }),
    );
    await assert.rejects(createPostgresDeviceStore(closed).get(id));
  },
);

/** Resolves once some backend of this database waits on a lock (the delete under test). */
async function someoneWaitsOnALock(pool: pg.Pool): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test(
  'DeviceStore (postgres) - history written by a value write in flight is deleted with the device, not orphaned',
  options,
  async (t) => {
    const w = await openPgDeviceWorld(t);
    const { id } = await w.stores.devices.insert(newDevice(w));
    await addHistoryRows(w.pool, []);
    const writer = await w.pool.connect();
    try {
      // A value write as the value store makes it: the device row held, history appended.
      await writer.query('BEGIN');
      await writer.query('SELECT id FROM devices WHERE id = $1 FOR KEY SHARE', [id]);
      await writer.query(
        `INSERT INTO history (device_id, datastream_id, ts, value) VALUES ($1, 1, $2, '1')`,
        [id, T0],
      );
      const deleting = w.stores.devices.delete(id);
      await someoneWaitsOnALock(w.pool);
      await writer.query('COMMIT');
      assert.equal(await deleting, true);
    } finally {
      writer.release();
    }
    assert.deepEqual(await valueRowCounts(w.pool, id), [0, 0]);
  },
);
