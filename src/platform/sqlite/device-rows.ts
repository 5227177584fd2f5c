import type { Database, Statement } from 'better-sqlite3';
import type { NewDevice } from '../devices/device-store.js';
import type { Device, DeviceStatus, HardwareInfo } from '../model.js';

/** A `devices` row without the token columns (those are read only on purpose). */
export interface DeviceRow {
  id: number;
  name: string;
  template_id: number;
  org_id: number;
  owner_user_id: number | null;
  status: DeviceStatus;
  hardware_info: string | null;
  activated_at: number | null;
  first_connect_time: number | null;
  connect_time: number | null;
  disconnect_time: number | null;
  ip: string | null;
  created_at: number;
  last_modified_ts: number;
}

export const deviceColumns = `id, name, template_id, org_id, owner_user_id, status, hardware_info, activated_at,
  first_connect_time, connect_time, disconnect_time, ip, created_at, last_modified_ts`;

/** Absent optionals stay absent (no `undefined`-valued keys), so results compare with deepEqual. */
export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    templateId: row.template_id,
    orgId: row.org_id,
    ownerUserId: row.owner_user_id,
    status: row.status,
    ...(row.hardware_info === null ? {} : { hardwareInfo: JSON.parse(row.hardware_info) as HardwareInfo }),
    ...(row.activated_at === null ? {} : { activatedAt: row.activated_at }),
    ...(row.first_connect_time === null ? {} : { firstConnectTime: row.first_connect_time }),
    ...(row.connect_time === null ? {} : { connectTime: row.connect_time }),
    ...(row.disconnect_time === null ? {} : { disconnectTime: row.disconnect_time }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    createdAt: row.created_at,
    lastModifiedTs: row.last_modified_ts,
  };
}

/** Statements shared by the device and static-token stores. */
export interface DeviceStatements {
  readonly insert: Statement;
  readonly get: Statement<[number], DeviceRow>;
}

export function prepareDeviceStatements(db: Database): DeviceStatements {
  return {
    insert: db.prepare(`
      INSERT INTO devices (name, template_id, org_id, owner_user_id, status, token_hash, token_enc,
        activated_at, created_at, last_modified_ts)
      VALUES (@name, @templateId, @orgId, @ownerUserId, @status, @tokenHash, @tokenCipher,
        @activatedAt, @createdAt, @createdAt)`),
    get: db.prepare(`SELECT ${deviceColumns} FROM devices WHERE id = ?`),
  };
}

/** Inserts a device (inside the caller's transaction, if any) and reads it back. */
export function insertDevice(statements: DeviceStatements, device: NewDevice): Device {
  const { lastInsertRowid } = statements.insert.run({ ...device, activatedAt: device.activatedAt ?? null });
  const row = statements.get.get(Number(lastInsertRowid));
  if (row === undefined) throw new Error('device row vanished after insert');
  return toDevice(row);
}
