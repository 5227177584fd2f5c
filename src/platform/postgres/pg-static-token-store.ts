import type pg from 'pg';
import {
  type DeviceRow,
  deviceColumns,
  type StaticTokenRow,
  toDevice,
  toStaticToken,
} from '../devices/device-row-mapping.js';
import type { NewDevice } from '../devices/device-store.js';
import { hashDeviceToken, sealDeviceToken } from '../devices/device-token.js';
import type {
  ClaimInput,
  NewStaticToken,
  StaticTokenStore,
  StaticTokenWithDevice,
} from '../devices/static-token-store.js';
import type { StaticToken } from '../model.js';
import {
  deleteDeviceWithHistory,
  mappingDeviceErrors,
  pageOf,
  qualifiedDeviceColumns,
} from './pg-device-sql.js';
import { withTransaction } from './pg-store-sql.js';

/** A token row with the device it moved, as one claim/unclaim statement returns them. */
type PairRow = StaticTokenRow & { device: DeviceRow };

/** Moves the token (only from `from` status) and its device in one statement, so both or neither. */
function transition(tokenSet: string, from: string, deviceSet: string): string {
  return `
    WITH token AS (
      UPDATE static_tokens SET ${tokenSet} WHERE id = $1 AND status = '${from}' RETURNING *
    ), device AS (
      UPDATE devices SET ${deviceSet} FROM token WHERE devices.id = token.device_id
      RETURNING ${qualifiedDeviceColumns('devices')}
    )
    SELECT token.*, to_jsonb(device) AS device FROM token JOIN device ON device.id = token.device_id`;
}

const statements = {
  insertDevices: `
    INSERT INTO devices (name, template_id, org_id, owner_user_id, status, token_hash, token_enc,
      activated_at, created_at, last_modified_ts)
    SELECT name, template_id, org_id, owner_user_id, status, token_hash, token_enc, activated_at,
      created_at, created_at
    FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
      $7::bytea[], $8::bigint[], $9::bigint[]) WITH ORDINALITY
      AS input(name, template_id, org_id, owner_user_id, status, token_hash, token_enc, activated_at,
        created_at, position)
    ORDER BY position
    RETURNING ${deviceColumns}, token_hash`,
  insertTokens: `
    INSERT INTO static_tokens (token_hash, token_enc, org_id, product_id, device_id, status, created_at)
    SELECT token_hash, token_enc, org_id, product_id, device_id, 'UNCLAIMED', created_at
    FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
      WITH ORDINALITY AS input(token_hash, token_enc, org_id, product_id, device_id, created_at, position)
    ORDER BY position
    RETURNING *`,
  get: 'SELECT * FROM static_tokens WHERE id = $1',
  byToken: 'SELECT * FROM static_tokens WHERE token_hash = $1',
  byDevice: 'SELECT * FROM static_tokens WHERE device_id = $1',
  page: `
    SELECT *, count(*) OVER () AS total FROM static_tokens WHERE org_id = ANY($1::bigint[])
    ORDER BY id LIMIT $2 OFFSET $3`,
  count: 'SELECT count(*) AS n FROM static_tokens WHERE org_id = ANY($1::bigint[])',
  claim: transition(
    "status = 'CLAIMED', owner_id = $2, claimed_org_id = $3",
    'UNCLAIMED',
    "org_id = $3, owner_user_id = $2, status = 'CLAIMED', name = coalesce($4, devices.name), last_modified_ts = $5",
  ),
  unclaim: transition(
    "status = 'UNCLAIMED', owner_id = NULL, claimed_org_id = NULL",
    'CLAIMED',
    "org_id = token.org_id, owner_user_id = NULL, status = 'UNCLAIMED', last_modified_ts = $2",
  ),
  tokenDevice: 'SELECT device_id FROM static_tokens WHERE id = $1',
} as const;

/** Inserts the devices with one statement; their rows come back in input order. */
async function insertDevices(client: pg.PoolClient, devices: readonly NewDevice[]): Promise<DeviceRow[]> {
  const made = await client.query<DeviceRow & { token_hash: string }>(statements.insertDevices, [
    devices.map((d) => d.name),
    devices.map((d) => d.templateId),
    devices.map((d) => d.orgId),
    devices.map((d) => d.ownerUserId),
    devices.map((d) => d.status),
    devices.map((d) => d.tokenHash),
    devices.map((d) => d.tokenCipher),
    devices.map((d) => d.activatedAt ?? null),
    devices.map((d) => d.createdAt),
  ]);
  // RETURNING order is not promised: rows are matched back by their unique token hash.
  const byHash = new Map(made.rows.map((row) => [row.token_hash, row]));
  return devices.map((d) => {
    const row = byHash.get(d.tokenHash);
    if (row === undefined) throw new Error('device INSERT lost a row');
    return row;
  });
}

/**
 * StaticTokenStore on PostgreSQL; a token and its device always change together (one transaction
 * or one statement). QR tokens are stored like device tokens: the sha256 finds one, the AES-GCM
 * copy under `tokenKey` shows it again in lists; never in clear text.
 */
export function createPostgresStaticTokenStore(pool: pg.Pool, tokenKey: Buffer): StaticTokenStore {
  const read = async (sql: string, param: unknown): Promise<StaticToken | undefined> => {
    const { rows } = await pool.query<StaticTokenRow>(sql, [param]);
    const row = rows[0];
    return row === undefined ? undefined : toStaticToken(tokenKey, row);
  };
  const pair = (rows: readonly PairRow[]): StaticTokenWithDevice | undefined => {
    const row = rows[0];
    return row === undefined
      ? undefined
      : { staticToken: toStaticToken(tokenKey, row), device: toDevice(row.device) };
  };

  const createMany = async (items: readonly NewStaticToken[]) => {
    // Hashing and sealing happen before a connection is taken.
    const hashes = items.map((item) => hashDeviceToken(item.token));
    const sealed = items.map((item, i) => sealDeviceToken(tokenKey, item.token, hashes[i] as string));
    const rows = await withTransaction(pool, async (client) => {
      const devices = await insertDevices(
        client,
        items.map((item) => item.device),
      );
      const tokens = await client.query<StaticTokenRow>(statements.insertTokens, [
        hashes,
        sealed,
        items.map((item) => item.orgId),
        items.map((item) => item.productId),
        devices.map((row) => row.id),
        items.map((item) => item.createdAt),
      ]);
      return { devices, tokens: tokens.rows };
    });
    const tokenByDevice = new Map(rows.tokens.map((row) => [row.device_id, row]));
    return rows.devices.map((row) => {
      const token = tokenByDevice.get(row.id);
      if (token === undefined) throw new Error('static token INSERT lost a row');
      return { staticToken: toStaticToken(tokenKey, token), device: toDevice(row) };
    });
  };

  return {
    createMany: (items) =>
      items.length === 0 ? Promise.resolve([]) : mappingDeviceErrors(() => createMany(items)),
    get: (id) => read(statements.get, id),
    byToken: (token) => read(statements.byToken, hashDeviceToken(token)),
    byDeviceId: (deviceId) => read(statements.byDevice, deviceId),
    list: async (query) => {
      const { rows } = await pool.query<StaticTokenRow & { total: number }>(statements.page, [
        query.orgIds,
        query.limit,
        query.offset,
      ]);
      return pageOf(
        rows,
        query.offset,
        (row) => toStaticToken(tokenKey, row),
        async () => (await pool.query<{ n: number }>(statements.count, [query.orgIds])).rows[0]?.n ?? 0,
      );
    },
    claim: (id, input: ClaimInput) =>
      mappingDeviceErrors(async () => {
        const params = [id, input.ownerId, input.orgId, input.name ?? null, input.at];
        return pair((await pool.query<PairRow>(statements.claim, params)).rows);
      }),
    unclaim: async (id, at) => pair((await pool.query<PairRow>(statements.unclaim, [id, at])).rows),
    // The device goes with its history; its token row and other per-device rows cascade.
    delete: (id) => deleteDeviceWithHistory(pool, statements.tokenDevice, id),
  };
}
