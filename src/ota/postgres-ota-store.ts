import type pg from 'pg';
import { NotFoundError } from '../platform/errors.js';
import { lockIds } from '../platform/postgres/pg-advisory-locks.js';
import {
  FOREIGN_KEY_VIOLATION,
  isPgError,
  selectPage,
  withTransaction,
} from '../platform/postgres/pg-store-sql.js';
import { DeviceOtaStatus, FINAL_STATUSES, type Shipment, ShipmentStatus } from './model.js';
import { type EntryRow, type FirmwareRow, toEntry, toFirmware } from './ota-rows.js';
import type { NewFirmware, OtaStore } from './ota-store.js';

/** Advisory-lock namespace of a device's OTA changes (new shipments, counted downloads). */
const OTA_DEVICE_LOCK = 0x0a7a;

interface ShipmentRow {
  id: number;
  org_id: number;
  firmware_id: number;
  name: string;
  status: ShipmentStatus;
  created_at: number;
  devices: Shipment['devices'];
}

const toShipment = (row: ShipmentRow): Shipment => ({
  id: row.id,
  orgId: row.org_id,
  firmwareId: row.firmware_id,
  name: row.name,
  status: row.status,
  createdAt: row.created_at,
  devices: row.devices,
});

/** The final statuses as SQL literals (our own constants, never input). */
const FINAL_SQL = `(${[...FINAL_STATUSES].map((s) => `'${s}'`).join(', ')})`;
const RUNNING = `'${ShipmentStatus.Running}'`;
const IN_SCOPE = 'org_id = ANY($1::bigint[])';
const SHIPMENT_SELECT = `SELECT s.*, COALESCE((
    SELECT json_agg(json_build_object('deviceId', d.device_id, 'status', d.status,
      'updatedAt', d.updated_at, 'downloads', d.downloads) ORDER BY d.device_id)
    FROM shipment_devices d WHERE d.shipment_id = s.id), '[]') AS devices
  FROM shipments s`;
const ENTRY_SELECT = `SELECT d.shipment_id, s.status AS shipment_status, s.firmware_id, d.device_id, d.status,
    d.updated_at, d.downloads
  FROM shipment_devices d JOIN shipments s ON s.id = d.shipment_id`;
/** Running shipments none of whose devices has anything left to do become COMPLETED. */
const SETTLE = `UPDATE shipments s SET status = '${ShipmentStatus.Completed}'
  WHERE s.id = ANY($1::bigint[]) AND s.status = ${RUNNING}
    AND NOT EXISTS (SELECT 1 FROM shipment_devices d WHERE d.shipment_id = s.id AND d.status NOT IN ${FINAL_SQL})`;

/**
 * OtaStore on the platform's PostgreSQL pool (close() leaves the pool to its owner). Changes that
 * read before they write run in a transaction under a lock: a device's new shipment and counted
 * downloads under the device's advisory lock, a status change under its shipment's row lock, so
 * the "all entries final" check of one change sees every other committed change.
 */
export function createPostgresOtaStore(pool: pg.Pool): OtaStore {
  const one = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R | undefined> =>
    (await pool.query<R>(sql, params)).rows[0];
  const shipment = async (id: number) => {
    const row = await one<ShipmentRow>(`${SHIPMENT_SELECT} WHERE s.id = $1`, [id]);
    return row && toShipment(row);
  };
  return {
    async insertFirmware(f: NewFirmware) {
      const row = await one<FirmwareRow>(
        `INSERT INTO firmware (org_id, name, size, sha256, md5, version, fw_type, build, blynk_version, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          f.orgId,
          f.name,
          f.size,
          f.sha256,
          f.md5,
          f.version ?? null,
          f.fwType ?? null,
          f.build ?? null,
          f.blynkVersion ?? null,
          f.createdAt,
        ],
      );
      if (row === undefined) throw new Error('firmware insert returned no row');
      return toFirmware(row);
    },
    async firmware(id) {
      const row = await one<FirmwareRow>('SELECT * FROM firmware WHERE id = $1', [id]);
      return row && toFirmware(row);
    },
    async firmwarePage(q) {
      const page = await selectPage<FirmwareRow>(
        pool,
        `SELECT * FROM firmware WHERE ${IN_SCOPE}`,
        [q.orgIds],
        q,
      );
      return { content: page.content.map(toFirmware), totalElements: page.totalElements };
    },
    async deleteFirmware(id) {
      // The deleted row is still visible to this statement's reads: it is left out by id.
      const row = await one<{ same: number }>(
        `WITH gone AS (DELETE FROM firmware WHERE id = $1 RETURNING sha256)
         SELECT count(f.id)::int AS same FROM gone g LEFT JOIN firmware f ON f.sha256 = g.sha256 AND f.id <> $1`,
        [id],
      );
      return { sameFileRows: row?.same ?? 0 };
    },
    async hasRunningShipment(firmwareId) {
      const row = await one<{ running: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM shipments WHERE firmware_id = $1 AND status = ${RUNNING}) AS running`,
        [firmwareId],
      );
      return row?.running === true;
    },
    async createShipment(input) {
      const deviceIds = input.devices.map((d) => d.deviceId);
      const id = await withTransaction(pool, async (client) => {
        await lockIds(client, OTA_DEVICE_LOCK, deviceIds);
        // Shipments whose entries this one supersedes, locked before their entries change
        // (the order setStatus takes too).
        const held = await client.query<{ id: number }>(
          `SELECT s.id FROM shipments s WHERE s.status = ${RUNNING} AND EXISTS (
             SELECT 1 FROM shipment_devices d WHERE d.shipment_id = s.id
               AND d.device_id = ANY($1::bigint[]) AND d.status NOT IN ${FINAL_SQL})
           ORDER BY s.id FOR UPDATE`,
          [deviceIds],
        );
        const created = await client.query<{ id: number }>(
          `WITH cancelled AS (
             UPDATE shipment_devices SET status = '${DeviceOtaStatus.Cancelled}', updated_at = $4
             WHERE shipment_id = ANY($6::bigint[]) AND device_id = ANY($7::bigint[]) AND status NOT IN ${FINAL_SQL}),
           s AS (INSERT INTO shipments (org_id, firmware_id, name, status, created_at)
             VALUES ($1, $2, $3, ${RUNNING}, $4) RETURNING id),
           e AS (INSERT INTO shipment_devices (shipment_id, device_id, status, updated_at)
             SELECT s.id, u.device_id, u.status, $4 FROM s, unnest($7::bigint[], $5::text[]) AS u(device_id, status))
           SELECT id FROM s`,
          [
            input.orgId,
            input.firmwareId,
            input.name,
            input.createdAt,
            input.devices.map((d) => d.status),
            held.rows.map((r) => r.id),
            deviceIds,
          ],
        );
        const newId = created.rows[0]?.id;
        if (newId === undefined) throw new Error('shipment insert returned no row');
        await client.query(SETTLE, [[...held.rows.map((r) => r.id), newId]]);
        return newId;
      }).catch((err: unknown) => {
        // A device or the firmware was deleted after the service checked it.
        throw isPgError(err, FOREIGN_KEY_VIOLATION)
          ? new NotFoundError('Device or firmware not found.')
          : err;
      });
      const stored = await shipment(id);
      if (stored === undefined) throw new Error('shipment row vanished after insert');
      return stored;
    },
    shipment,
    async shipmentPage(q) {
      const page = await selectPage<ShipmentRow>(
        pool,
        `${SHIPMENT_SELECT} WHERE s.${IN_SCOPE}`,
        [q.orgIds],
        q,
      );
      return { content: page.content.map(toShipment), totalElements: page.totalElements };
    },
    async cancelShipment(id, at) {
      // One statement: the shipment row is locked (updated) before its entries.
      const row = await one<{ n: number }>(
        `WITH s AS (UPDATE shipments SET status = '${ShipmentStatus.Cancelled}'
             WHERE id = $1 AND status = ${RUNNING} RETURNING id),
           e AS (UPDATE shipment_devices SET status = '${DeviceOtaStatus.Cancelled}', updated_at = $2
             WHERE shipment_id IN (SELECT id FROM s) AND status NOT IN ${FINAL_SQL})
         SELECT count(*)::int AS n FROM s`,
        [id, at],
      );
      return (row?.n ?? 0) > 0;
    },
    async activeEntry(deviceId) {
      const row = await one<EntryRow>(
        `${ENTRY_SELECT} WHERE d.device_id = $1 AND s.status = ${RUNNING} AND d.status NOT IN ${FINAL_SQL}
         ORDER BY d.shipment_id DESC LIMIT 1`,
        [deviceId],
      );
      return row && toEntry(row);
    },
    async entry(shipmentId, deviceId) {
      const row = await one<EntryRow>(`${ENTRY_SELECT} WHERE d.shipment_id = $1 AND d.device_id = $2`, [
        shipmentId,
        deviceId,
      ]);
      return row && toEntry(row);
    },
    async setStatus(shipmentId, deviceId, status, at) {
      await withTransaction(pool, async (client) => {
        // Concurrent changes of one shipment take turns, so the last one sees all entries final.
        await client.query('SELECT id FROM shipments WHERE id = $1 FOR UPDATE', [shipmentId]);
        await client.query(
          'UPDATE shipment_devices SET status = $3, updated_at = $4 WHERE shipment_id = $1 AND device_id = $2',
          [shipmentId, deviceId, status, at],
        );
        await client.query(SETTLE, [[shipmentId]]);
      });
    },
    tryCountDownload: (entry, at, since, limit) =>
      withTransaction(pool, async (client) => {
        await lockIds(client, OTA_DEVICE_LOCK, [entry.deviceId]);
        // Under the lock, the count sees every download committed before: none slips past the limit.
        const { rows } = await client.query<{ n: number }>(
          `WITH pruned AS (DELETE FROM ota_downloads WHERE device_id = $1 AND at <= $3),
             recent AS (SELECT count(*) AS n FROM ota_downloads WHERE device_id = $1 AND at > $3),
             counted AS (INSERT INTO ota_downloads (device_id, at) SELECT $1, $2 FROM recent WHERE n < $4
               RETURNING device_id),
             bumped AS (UPDATE shipment_devices SET downloads = downloads + 1
               WHERE shipment_id = $5 AND device_id = $1 AND EXISTS (SELECT 1 FROM counted))
           SELECT count(*)::int AS n FROM counted`,
          [entry.deviceId, at, since, limit, entry.shipmentId],
        );
        return (rows[0]?.n ?? 0) > 0;
      }),
    async allSha256() {
      const { rows } = await pool.query<{ sha256: string }>('SELECT DISTINCT sha256 FROM firmware');
      return new Set(rows.map((row) => row.sha256));
    },
    // The pool belongs to the caller (the platform backend).
    close: async () => undefined,
  };
}
