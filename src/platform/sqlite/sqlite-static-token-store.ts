import type { Database } from 'better-sqlite3';
import { type StaticTokenRow, toDevice, toStaticToken } from '../devices/device-row-mapping.js';
import { hashDeviceToken, sealDeviceToken } from '../devices/device-token.js';
import type {
  ClaimInput,
  NewStaticToken,
  StaticTokenStore,
  StaticTokenWithDevice,
} from '../devices/static-token-store.js';
import type { Device, StaticToken } from '../model.js';
import { insertDevice, mappingDeviceErrors, prepareDeviceStatements } from './device-rows.js';

/**
 * StaticTokenStore on SQLite; a token and its device always change in one transaction. QR tokens
 * are stored like device tokens (schema 6): the sha256 finds one, the AES-GCM copy under
 * `tokenKey` shows it again in lists; never in clear text.
 */
export function createSqliteStaticTokenStore(db: Database, tokenKey: Buffer): StaticTokenStore {
  const fromRow = (row: StaticTokenRow): StaticToken => toStaticToken(tokenKey, row);
  const devices = prepareDeviceStatements(db);
  const s = {
    insert: db.prepare(`
      INSERT INTO static_tokens (token_hash, token_enc, org_id, product_id, device_id, status, created_at)
      VALUES (?, ?, ?, ?, ?, 'UNCLAIMED', ?)`),
    get: db.prepare<[number], StaticTokenRow>('SELECT * FROM static_tokens WHERE id = ?'),
    byToken: db.prepare<[string], StaticTokenRow>('SELECT * FROM static_tokens WHERE token_hash = ?'),
    byDevice: db.prepare<[number], StaticTokenRow>('SELECT * FROM static_tokens WHERE device_id = ?'),
    page: db.prepare<object, StaticTokenRow>(`
      SELECT * FROM static_tokens WHERE org_id IN (SELECT value FROM json_each(@orgIds))
      ORDER BY id LIMIT @limit OFFSET @offset`),
    count: db.prepare<object, { n: number }>(
      'SELECT count(*) AS n FROM static_tokens WHERE org_id IN (SELECT value FROM json_each(@orgIds))',
    ),
    claim: db.prepare(`
      UPDATE static_tokens SET status = 'CLAIMED', owner_id = ?, claimed_org_id = ?
      WHERE id = ? AND status = 'UNCLAIMED'`),
    unclaim: db.prepare(`
      UPDATE static_tokens SET status = 'UNCLAIMED', owner_id = NULL, claimed_org_id = NULL
      WHERE id = ? AND status = 'CLAIMED'`),
    moveDevice: db.prepare(`
      UPDATE devices SET org_id = @orgId, owner_user_id = @ownerId, status = @status,
        name = coalesce(@name, name), last_modified_ts = @at WHERE id = @id`),
    deleteDevice: db.prepare('DELETE FROM devices WHERE id = ?'),
  };
  const pair = (row: StaticTokenRow | undefined): StaticTokenWithDevice | undefined => {
    const device = row && devices.get.get(row.device_id);
    return row && device ? { staticToken: fromRow(row), device: toDevice(device) } : undefined;
  };
  const createMany = db.transaction((items: readonly NewStaticToken[]) =>
    items.map((item) => {
      const device: Device = insertDevice(devices, item.device);
      const tokenHash = hashDeviceToken(item.token);
      const { lastInsertRowid } = s.insert.run(
        tokenHash,
        sealDeviceToken(tokenKey, item.token, tokenHash),
        item.orgId,
        item.productId,
        device.id,
        item.createdAt,
      );
      const row = s.get.get(Number(lastInsertRowid));
      if (row === undefined) throw new Error('static token row vanished after insert');
      return { staticToken: fromRow(row), device };
    }),
  );
  const claim = db.transaction((id: number, input: ClaimInput) => {
    if (s.claim.run(input.ownerId, input.orgId, id).changes === 0) return undefined;
    const row = s.get.get(id);
    if (row === undefined) return undefined;
    s.moveDevice.run({ ...input, id: row.device_id, status: 'CLAIMED', name: input.name ?? null });
    return pair(row);
  });
  const unclaim = db.transaction((id: number, at: number) => {
    if (s.unclaim.run(id).changes === 0) return undefined;
    const row = s.get.get(id);
    if (row === undefined) return undefined;
    s.moveDevice.run({
      orgId: row.org_id,
      ownerId: null,
      status: 'UNCLAIMED',
      name: null,
      at,
      id: row.device_id,
    });
    return pair(row);
  });
  // Deleting the device cascades to its token row (and to the device's data).
  const remove = db.transaction((id: number) => {
    const row = s.get.get(id);
    return row !== undefined && s.deleteDevice.run(row.device_id).changes > 0;
  });
  const one = (row: StaticTokenRow | undefined) => (row === undefined ? undefined : fromRow(row));

  return {
    createMany: async (items) => mappingDeviceErrors(() => createMany(items)),
    get: async (id) => one(s.get.get(id)),
    byToken: async (token) => one(s.byToken.get(hashDeviceToken(token))),
    byDeviceId: async (deviceId) => one(s.byDevice.get(deviceId)),
    list: async (query) => {
      const params = { orgIds: JSON.stringify(query.orgIds), limit: query.limit, offset: query.offset };
      return { content: s.page.all(params).map(fromRow), totalElements: s.count.get(params)?.n ?? 0 };
    },
    claim: async (id, input) => mappingDeviceErrors(() => claim(id, input)),
    unclaim: async (id, at) => unclaim(id, at),
    delete: async (id) => remove(id),
  };
}
