import type { Database } from 'better-sqlite3';
import { type DeviceRow, deviceColumns, toDevice } from '../devices/device-row-mapping.js';
import type {
  ConnectionRecord,
  DevicePatch,
  DeviceQuery,
  DeviceStore,
  NewDevice,
} from '../devices/device-store.js';
import type { Device, Page } from '../model.js';
import { insertDevice, mappingDeviceErrors, prepareDeviceStatements } from './device-rows.js';

/** Org ids travel as one JSON parameter, so one prepared statement serves any subtree size. */
const inOrgs = 'org_id IN (SELECT value FROM json_each(@orgIds))';
// JS lower-casing: case-insensitive beyond ASCII (SQLite's lower() folds ASCII only).
const nameMatch = '(@needle IS NULL OR instr(devgate_lower(name), @needle) > 0)';

/** The login cache's fill order: most recently connected first, then the newest. */
const WARMEST_ORDER = 'ORDER BY connect_time IS NULL, connect_time DESC, id DESC';

/** DeviceStore on the platform SQLite database (schema: sqlite/schema/devices.ts). */
export function createSqliteDeviceStore(db: Database): DeviceStore {
  db.function('devgate_lower', { deterministic: true }, (text) => String(text).toLowerCase());
  const shared = prepareDeviceStatements(db);
  const s = {
    byHash: db.prepare<[string], DeviceRow>(`SELECT ${deviceColumns} FROM devices WHERE token_hash = ?`),
    warmest: db.prepare<[number], DeviceRow & { token_hash: string }>(
      `SELECT ${deviceColumns}, token_hash FROM devices ${WARMEST_ORDER} LIMIT ?`,
    ),
    secret: db.prepare<[number], { token_hash: string; token_enc: Buffer }>(
      'SELECT token_hash, token_enc FROM devices WHERE id = ?',
    ),
    setToken: db.prepare(
      'UPDATE devices SET token_hash = ?, token_enc = ?, last_modified_ts = ? WHERE id = ?',
    ),
    page: db.prepare<object, DeviceRow>(
      `SELECT ${deviceColumns} FROM devices WHERE ${inOrgs} AND ${nameMatch} ORDER BY id LIMIT @limit OFFSET @offset`,
    ),
    count: db.prepare<object, { n: number }>(
      `SELECT count(*) AS n FROM devices WHERE ${inOrgs} AND ${nameMatch}`,
    ),
    update: db.prepare(`
      UPDATE devices SET name = @name, org_id = @org_id, owner_user_id = @owner_user_id, status = @status,
        hardware_info = @hardware_info, activated_at = @activated_at, last_modified_ts = @last_modified_ts
      WHERE id = @id`),
    connection: db.prepare<object, DeviceRow>(`
      UPDATE devices SET connect_time = coalesce(@c, connect_time),
        first_connect_time = coalesce(first_connect_time, @c),
        ip = CASE WHEN @c IS NULL THEN ip ELSE coalesce(@ip, ip) END,
        disconnect_time = coalesce(@dc, disconnect_time),
        last_modified_ts = max(coalesce(@c, @dc), coalesce(@dc, @c))
      WHERE id = @id RETURNING ${deviceColumns}`),
    countByTemplate: db.prepare<[number], { n: number }>(
      'SELECT count(*) AS n FROM devices WHERE template_id = ?',
    ),
    delete: db.prepare('DELETE FROM devices WHERE id = ?'),
  };
  const read = (id: number): Device | undefined => {
    const row = shared.get.get(id);
    return row === undefined ? undefined : toDevice(row);
  };
  const update = db.transaction((id: number, patch: DevicePatch, at: number): Device | undefined => {
    const row = shared.get.get(id);
    if (row === undefined) return undefined;
    s.update.run({
      ...row,
      name: patch.name ?? row.name,
      org_id: patch.orgId ?? row.org_id,
      owner_user_id: patch.ownerUserId === undefined ? row.owner_user_id : patch.ownerUserId,
      status: patch.status ?? row.status,
      hardware_info:
        patch.hardwareInfo === undefined ? row.hardware_info : JSON.stringify(patch.hardwareInfo),
      activated_at: patch.activatedAt ?? row.activated_at,
      last_modified_ts: at,
    });
    return read(id);
  });

  const recordConnections = db.transaction((records: readonly ConnectionRecord[]): Device[] => {
    const devices: Device[] = [];
    for (const r of records) {
      const params = {
        id: r.deviceId,
        c: r.connectedAt ?? null,
        ip: r.ip ?? null,
        dc: r.disconnectedAt ?? null,
      };
      const row = s.connection.get(params);
      if (row !== undefined) devices.push(toDevice(row));
    }
    return devices;
  });
  return {
    insert: async (device: NewDevice) => mappingDeviceErrors(() => insertDevice(shared, device)),
    get: async (id) => read(id),
    byTokenHash: async (hash) => {
      const row = s.byHash.get(hash);
      return row === undefined ? undefined : toDevice(row);
    },
    warmest: async (limit) =>
      s.warmest.all(limit).map((row) => ({ tokenHash: row.token_hash, device: toDevice(row) })),
    tokenSecret: async (id) => {
      const row = s.secret.get(id);
      return row === undefined ? undefined : { tokenHash: row.token_hash, tokenCipher: row.token_enc };
    },
    setToken: async (id, hash, cipher, at) =>
      mappingDeviceErrors(() => s.setToken.run(hash, cipher, at, id).changes > 0),
    list: async (query: DeviceQuery): Promise<Page<Device>> => {
      const params = {
        orgIds: JSON.stringify(query.orgIds),
        needle: query.nameContains === undefined ? null : query.nameContains.toLowerCase(),
        limit: query.limit,
        offset: query.offset,
      };
      const content = s.page.all(params).map(toDevice);
      const { n } = s.count.get(params) ?? { n: 0 };
      return { content, totalElements: n };
    },
    update: async (id, patch, at) => mappingDeviceErrors(() => update(id, patch, at)),
    recordConnections: async (records) => recordConnections(records),
    countByTemplate: async (templateId) => s.countByTemplate.get(templateId)?.n ?? 0,
    delete: async (id) => s.delete.run(id).changes > 0,
  };
}
