import type pg from 'pg';
import { type DeviceRow, deviceColumns, toDevice } from '../devices/device-row-mapping.js';
import type { DevicePatch, DeviceQuery, DeviceStore, NewDevice } from '../devices/device-store.js';
import type { Device, Page } from '../model.js';
import { deleteDeviceWithHistory, mappingDeviceErrors, pageOf } from './pg-device-sql.js';

type CountedRow = DeviceRow & { total: number };

const inOrgs = 'org_id = ANY($1::bigint[])';
// `%` and `_` stay plain characters (strpos, not LIKE). lower() folds beyond ASCII under a UTF-8
// LC_CTYPE of the database (C.UTF-8, en_US.UTF-8, …); under plain "C" it folds ASCII only.
const nameMatch = '($2::text IS NULL OR strpos(lower(name), lower($2::text)) > 0)';

const statements = {
  insert: `
    INSERT INTO devices (name, template_id, org_id, owner_user_id, status, token_hash, token_enc,
      activated_at, created_at, last_modified_ts)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ${deviceColumns}`,
  get: `SELECT ${deviceColumns} FROM devices WHERE id = $1`,
  byHash: `SELECT ${deviceColumns} FROM devices WHERE token_hash = $1`,
  // The login cache's fill order: most recently connected first, then the newest.
  warmest: `SELECT ${deviceColumns}, token_hash FROM devices
    ORDER BY connect_time DESC NULLS LAST, id DESC LIMIT $1`,
  secret: 'SELECT token_hash, token_enc FROM devices WHERE id = $1',
  setToken: 'UPDATE devices SET token_hash = $2, token_enc = $3, last_modified_ts = $4 WHERE id = $1',
  page: `
    SELECT ${deviceColumns}, count(*) OVER () AS total FROM devices WHERE ${inOrgs} AND ${nameMatch}
    ORDER BY id LIMIT $3 OFFSET $4`,
  count: `SELECT count(*) AS n FROM devices WHERE ${inOrgs} AND ${nameMatch}`,
  // Absent = unchanged; owner_user_id has a flag ($4) because null is a value it can take.
  update: `
    UPDATE devices SET name = coalesce($2, name), org_id = coalesce($3, org_id),
      owner_user_id = CASE WHEN $4::boolean THEN $5::bigint ELSE owner_user_id END,
      status = coalesce($6, status), hardware_info = coalesce($7, hardware_info),
      activated_at = coalesce($8, activated_at), last_modified_ts = $9
    WHERE id = $1 RETURNING ${deviceColumns}`,
  // u's columns are named apart from devices' so RETURNING's bare names are the device's.
  connections: `
    UPDATE devices SET connect_time = coalesce(u.c, connect_time),
      first_connect_time = coalesce(first_connect_time, u.c),
      ip = CASE WHEN u.c IS NULL THEN ip ELSE coalesce(u.addr, ip) END,
      disconnect_time = coalesce(u.dc, disconnect_time), last_modified_ts = greatest(u.c, u.dc)
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS u(uid, c, addr, dc)
    WHERE id = u.uid RETURNING ${deviceColumns}`,
  countByTemplate: 'SELECT count(*) AS n FROM devices WHERE template_id = $1',
} as const;

/** DeviceStore on the platform PostgreSQL database (schema: postgres/schema/devices.ts). */
export function createPostgresDeviceStore(pool: pg.Pool): DeviceStore {
  const one = async (sql: string, params: unknown[]): Promise<Device | undefined> => {
    const { rows } = await pool.query<DeviceRow>(sql, params);
    const row = rows[0];
    return row === undefined ? undefined : toDevice(row);
  };
  const count = async (sql: string, params: unknown[]): Promise<number> => {
    const { rows } = await pool.query<{ n: number }>(sql, params);
    return rows[0]?.n ?? 0;
  };

  return {
    insert: (device: NewDevice) =>
      mappingDeviceErrors(async () => {
        const inserted = await one(statements.insert, [
          device.name,
          device.templateId,
          device.orgId,
          device.ownerUserId,
          device.status,
          device.tokenHash,
          device.tokenCipher,
          device.activatedAt ?? null,
          device.createdAt,
        ]);
        if (inserted === undefined) throw new Error('device INSERT returned no row');
        return inserted;
      }),
    get: (id) => one(statements.get, [id]),
    byTokenHash: (hash) => one(statements.byHash, [hash]),
    warmest: async (limit) => {
      const { rows } = await pool.query<DeviceRow & { token_hash: string }>(statements.warmest, [limit]);
      return rows.map((row) => ({ tokenHash: row.token_hash, device: toDevice(row) }));
    },
    tokenSecret: async (id) => {
      const { rows } = await pool.query<{ token_hash: string; token_enc: Buffer }>(statements.secret, [id]);
      const row = rows[0];
      return row === undefined ? undefined : { tokenHash: row.token_hash, tokenCipher: row.token_enc };
    },
    setToken: (id, hash, cipher, at) =>
      mappingDeviceErrors(async () => {
        const { rowCount } = await pool.query(statements.setToken, [id, hash, cipher, at]);
        return (rowCount ?? 0) > 0;
      }),
    list: async (query: DeviceQuery): Promise<Page<Device>> => {
      const filter = [query.orgIds, query.nameContains ?? null];
      const { rows } = await pool.query<CountedRow>(statements.page, [...filter, query.limit, query.offset]);
      return pageOf(rows, query.offset, toDevice, () => count(statements.count, filter));
    },
    update: (id, patch: DevicePatch, at) =>
      mappingDeviceErrors(() =>
        one(statements.update, [
          id,
          patch.name ?? null,
          patch.orgId ?? null,
          patch.ownerUserId !== undefined,
          patch.ownerUserId ?? null,
          patch.status ?? null,
          patch.hardwareInfo === undefined ? null : JSON.stringify(patch.hardwareInfo),
          patch.activatedAt ?? null,
          at,
        ]),
      ),
    recordConnections: async (records) => {
      if (records.length === 0) return [];
      const { rows } = await pool.query<DeviceRow>(statements.connections, [
        records.map((r) => r.deviceId),
        records.map((r) => r.connectedAt ?? null),
        records.map((r) => r.ip ?? null),
        records.map((r) => r.disconnectedAt ?? null),
      ]);
      return rows.map(toDevice);
    },
    countByTemplate: (templateId) => count(statements.countByTemplate, [templateId]),
    delete: (id) => deleteDeviceWithHistory(pool, 'SELECT $1::bigint', id),
  };
}
