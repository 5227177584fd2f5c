import type { Database } from 'better-sqlite3';
import { DeviceOtaStatus, FINAL_STATUSES, type Firmware, type Shipment, ShipmentStatus } from './model.js';
import { type EntryRow, type FirmwareRow, toEntry, toFirmware } from './ota-rows.js';
import type { NewFirmware, NewShipment, OtaStore, ScopedPage } from './ota-store.js';

interface ShipmentRow {
  id: number;
  org_id: number;
  firmware_id: number;
  name: string;
  status: ShipmentStatus;
  created_at: number;
}

/** The unfinished statuses as SQL literals (our own constants, never input). */
const UNFINISHED_SQL = `status NOT IN (${[...FINAL_STATUSES].map((s) => `'${s}'`).join(', ')})`;
const ENTRY_SELECT = `
  SELECT d.shipment_id, s.status AS shipment_status, s.firmware_id, d.device_id, d.status, d.updated_at, d.downloads
  FROM shipment_devices d JOIN shipments s ON s.id = d.shipment_id`;
const IN_SCOPE = 'org_id IN (SELECT value FROM json_each(@orgIds))';

function statements(db: Database) {
  return {
    insertFirmware: db.prepare(`
      INSERT INTO firmware (org_id, name, size, sha256, md5, version, fw_type, build, blynk_version, created_at)
      VALUES (@orgId, @name, @size, @sha256, @md5, @version, @fwType, @build, @blynkVersion, @createdAt)`),
    firmware: db.prepare<[number], FirmwareRow>('SELECT * FROM firmware WHERE id = ?'),
    firmwarePage: db.prepare<object, FirmwareRow>(
      `SELECT * FROM firmware WHERE ${IN_SCOPE} ORDER BY id LIMIT @limit OFFSET @offset`,
    ),
    firmwareCount: db.prepare<object, { n: number }>(`SELECT count(*) AS n FROM firmware WHERE ${IN_SCOPE}`),
    deleteFirmware: db.prepare('DELETE FROM firmware WHERE id = ?'),
    sameSha: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM firmware WHERE sha256 = ?'),
    allSha: db.prepare<[], { sha256: string }>('SELECT DISTINCT sha256 FROM firmware'),
    running: db.prepare<[number], { n: number }>(
      `SELECT count(*) AS n FROM shipments WHERE firmware_id = ? AND status = '${ShipmentStatus.Running}'`,
    ),
    insertShipment: db.prepare(`
      INSERT INTO shipments (org_id, firmware_id, name, status, created_at)
      VALUES (@orgId, @firmwareId, @name, '${ShipmentStatus.Running}', @createdAt)`),
    insertEntry: db.prepare(
      'INSERT INTO shipment_devices (shipment_id, device_id, status, updated_at) VALUES (?, ?, ?, ?)',
    ),
    shipment: db.prepare<[number], ShipmentRow>('SELECT * FROM shipments WHERE id = ?'),
    shipmentPage: db.prepare<object, ShipmentRow>(
      `SELECT * FROM shipments WHERE ${IN_SCOPE} ORDER BY id LIMIT @limit OFFSET @offset`,
    ),
    shipmentCount: db.prepare<object, { n: number }>(`SELECT count(*) AS n FROM shipments WHERE ${IN_SCOPE}`),
    entries: db.prepare<[number], EntryRow>(`${ENTRY_SELECT} WHERE d.shipment_id = ? ORDER BY d.device_id`),
    entry: db.prepare<[number, number], EntryRow>(
      `${ENTRY_SELECT} WHERE d.shipment_id = ? AND d.device_id = ?`,
    ),
    active: db.prepare<[number], EntryRow>(
      `${ENTRY_SELECT} WHERE d.device_id = ? AND s.status = '${ShipmentStatus.Running}' AND d.${UNFINISHED_SQL}
       ORDER BY d.shipment_id DESC LIMIT 1`,
    ),
    setStatus: db.prepare(
      'UPDATE shipment_devices SET status = ?, updated_at = ? WHERE shipment_id = ? AND device_id = ?',
    ),
    cancelEntries: db.prepare(
      `UPDATE shipment_devices SET status = ?, updated_at = ? WHERE shipment_id = ? AND ${UNFINISHED_SQL}`,
    ),
    cancelDeviceEntries: db.prepare(`
      UPDATE shipment_devices SET status = ?, updated_at = ?
      WHERE device_id = ? AND ${UNFINISHED_SQL}
        AND shipment_id IN (SELECT id FROM shipments WHERE status = '${ShipmentStatus.Running}')`),
    unfinished: db.prepare<[number], { n: number }>(
      `SELECT count(*) AS n FROM shipment_devices WHERE shipment_id = ? AND ${UNFINISHED_SQL}`,
    ),
    setShipmentStatus: db.prepare('UPDATE shipments SET status = ? WHERE id = ? AND status = ?'),
    heldBy: db.prepare<[number], { id: number }>(
      `SELECT shipment_id AS id FROM shipment_devices WHERE device_id = ? AND ${UNFINISHED_SQL}`,
    ),
    pruneDownloads: db.prepare('DELETE FROM ota_downloads WHERE device_id = ? AND at <= ?'),
    countDownloads: db.prepare<[number, number], { n: number }>(
      'SELECT count(*) AS n FROM ota_downloads WHERE device_id = ? AND at > ?',
    ),
    insertDownload: db.prepare('INSERT INTO ota_downloads (device_id, at) VALUES (?, ?)'),
    bumpDownloads: db.prepare(
      'UPDATE shipment_devices SET downloads = downloads + 1 WHERE shipment_id = ? AND device_id = ?',
    ),
  };
}

/**
 * OtaStore on the platform database. Statements run synchronously (better-sqlite3) behind the
 * asynchronous interface. `ownsConnection` (default): close() closes `db`, opened for OTA alone.
 */
export function createSqliteOtaStore(db: Database, { ownsConnection = true } = {}): OtaStore {
  const s = statements(db);
  const shipmentOf = (row: ShipmentRow): Shipment => ({
    id: row.id,
    orgId: row.org_id,
    firmwareId: row.firmware_id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    devices: s.entries.all(row.id).map((entry) => ({
      deviceId: entry.device_id,
      status: entry.status,
      updatedAt: entry.updated_at,
      downloads: entry.downloads,
    })),
  });
  // A shipment none of whose devices has anything left to do is complete.
  const settle = (shipmentId: number): void => {
    if ((s.unfinished.get(shipmentId)?.n ?? 0) === 0)
      s.setShipmentStatus.run(ShipmentStatus.Completed, shipmentId, ShipmentStatus.Running);
  };
  const createShipment = db.transaction((input: NewShipment): number => {
    const superseded = new Set<number>();
    for (const { deviceId } of input.devices) {
      for (const { id } of s.heldBy.all(deviceId)) superseded.add(id);
      s.cancelDeviceEntries.run(DeviceOtaStatus.Cancelled, input.createdAt, deviceId);
    }
    for (const other of superseded) settle(other);
    const id = Number(s.insertShipment.run(input).lastInsertRowid);
    for (const { deviceId, status } of input.devices)
      s.insertEntry.run(id, deviceId, status, input.createdAt);
    settle(id);
    return id;
  });
  const setStatus = db.transaction(
    (shipmentId: number, deviceId: number, status: DeviceOtaStatus, at: number) => {
      s.setStatus.run(status, at, shipmentId, deviceId);
      settle(shipmentId);
    },
  );
  const cancel = db.transaction((id: number, at: number): boolean => {
    const changed = s.setShipmentStatus.run(ShipmentStatus.Cancelled, id, ShipmentStatus.Running).changes > 0;
    if (changed) s.cancelEntries.run(DeviceOtaStatus.Cancelled, at, id);
    return changed;
  });
  const tryCountDownload = db.transaction(
    (entry: { shipmentId: number; deviceId: number }, at: number, since: number, limit: number): boolean => {
      s.pruneDownloads.run(entry.deviceId, since);
      if ((s.countDownloads.get(entry.deviceId, since)?.n ?? 0) >= limit) return false;
      s.insertDownload.run(entry.deviceId, at);
      s.bumpDownloads.run(entry.shipmentId, entry.deviceId);
      return true;
    },
  );
  const page = <R, T>(rows: R[], total: number, map: (row: R) => T) => ({
    content: rows.map(map),
    totalElements: total,
  });
  const bind = (q: ScopedPage) => ({ orgIds: JSON.stringify(q.orgIds), limit: q.limit, offset: q.offset });
  return {
    async insertFirmware(firmware: NewFirmware): Promise<Firmware> {
      const row = {
        version: null,
        fwType: null,
        build: null,
        blynkVersion: null,
        ...firmware,
      };
      const id = Number(s.insertFirmware.run(row).lastInsertRowid);
      const stored = s.firmware.get(id);
      if (stored === undefined) throw new Error('firmware row vanished after insert');
      return toFirmware(stored);
    },
    async firmware(id) {
      const row = s.firmware.get(id);
      return row && toFirmware(row);
    },
    firmwarePage: async (q) =>
      page(s.firmwarePage.all(bind(q)), s.firmwareCount.get(bind(q))?.n ?? 0, toFirmware),
    async deleteFirmware(id) {
      const row = s.firmware.get(id);
      s.deleteFirmware.run(id);
      return { sameFileRows: row === undefined ? 0 : (s.sameSha.get(row.sha256)?.n ?? 0) };
    },
    hasRunningShipment: async (firmwareId) => (s.running.get(firmwareId)?.n ?? 0) > 0,
    async createShipment(input) {
      const row = s.shipment.get(createShipment(input));
      if (row === undefined) throw new Error('shipment row vanished after insert');
      return shipmentOf(row);
    },
    async shipment(id) {
      const row = s.shipment.get(id);
      return row && shipmentOf(row);
    },
    shipmentPage: async (q) =>
      page(s.shipmentPage.all(bind(q)), s.shipmentCount.get(bind(q))?.n ?? 0, shipmentOf),
    cancelShipment: async (id, at) => cancel(id, at),
    async activeEntry(deviceId) {
      const row = s.active.get(deviceId);
      return row && toEntry(row);
    },
    async entry(shipmentId, deviceId) {
      const row = s.entry.get(shipmentId, deviceId);
      return row && toEntry(row);
    },
    setStatus: async (shipmentId, deviceId, status, at) => setStatus(shipmentId, deviceId, status, at),
    tryCountDownload: async (entry, at, since, limit) => tryCountDownload(entry, at, since, limit),
    allSha256: async () => new Set(s.allSha.all().map((row) => row.sha256)),
    close: async () => {
      if (ownsConnection) db.close();
    },
  };
}
