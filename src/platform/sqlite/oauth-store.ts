import type { Database } from 'better-sqlite3';
import type { Page } from '../model.js';
import {
  type OAuthClientRow as ClientRow,
  OAUTH_CLIENT_COLUMNS as COLUMNS,
  oauthClientFromRow as fromRow,
} from '../oauth/oauth-client-rows.js';
import type { OAuthStore, StoredOAuthClient, TokenPair } from '../oauth/oauth-store.js';

/** OAuthStore on the platform SQLite database (schema step 1, src/platform/sqlite/schema/orgs.ts). */
export function createSqliteOAuthStore(db: Database): OAuthStore {
  const insertClient = db.prepare(`INSERT INTO oauth_clients
      (client_id, name, org_id, redirect_urls, secret_hash, is_active, created_at)
    VALUES (@client_id, @name, @org_id, @redirect_urls, @secret_hash, @is_active, @created_at) RETURNING ${COLUMNS}`);
  const byId = db.prepare<[number], ClientRow>(`SELECT ${COLUMNS} FROM oauth_clients WHERE id = ?`);
  const byClientId = db.prepare<[string], ClientRow>(
    `SELECT ${COLUMNS} FROM oauth_clients WHERE client_id = ?`,
  );
  const scoped = 'FROM oauth_clients WHERE org_id IN (SELECT value FROM json_each(@orgIds))';
  const page = db.prepare<[object], ClientRow>(
    `SELECT ${COLUMNS} ${scoped} ORDER BY id LIMIT @limit OFFSET @offset`,
  );
  const count = db.prepare<[object], { n: number }>(`SELECT count(*) AS n ${scoped}`);
  const setActive = db.prepare<[number, number], ClientRow>(
    `UPDATE oauth_clients SET is_active = ? WHERE id = ? RETURNING ${COLUMNS}`,
  );
  const removeClient = db.prepare<[number]>('DELETE FROM oauth_clients WHERE id = ?');
  const insertAccess =
    db.prepare(`INSERT INTO access_tokens (token_hash, client_id, org_id, expires_at, created_at)
    VALUES (@accessHash, @clientId, @orgId, @accessExpiresAt, @createdAt)`);
  const insertRefresh =
    db.prepare(`INSERT INTO refresh_tokens (token_hash, client_id, org_id, expires_at, created_at)
    VALUES (@refreshHash, @clientId, @orgId, @refreshExpiresAt, @createdAt)`);
  const access = db.prepare<[string], ClientRow & { expires_at: number }>(
    `SELECT c.id, c.client_id, c.name, c.org_id, c.redirect_urls, c.secret_hash, c.is_active, c.created_at,
      t.expires_at FROM access_tokens t JOIN oauth_clients c ON c.id = t.client_id WHERE t.token_hash = ?`,
  );
  // DELETE … RETURNING is one statement: two concurrent uses cannot both get the row.
  const consume = db.prepare<[string, number], { org_id: number; expires_at: number }>(
    'DELETE FROM refresh_tokens WHERE token_hash = ? AND client_id = ? RETURNING org_id, expires_at',
  );
  const pruneAccess = db.prepare<[number]>('DELETE FROM access_tokens WHERE expires_at <= ?');
  const pruneRefresh = db.prepare<[number]>('DELETE FROM refresh_tokens WHERE expires_at <= ?');
  const insertPair = db.transaction((pair: TokenPair) => {
    insertAccess.run(pair);
    insertRefresh.run(pair);
  });
  const prune = db.transaction((now: number) => pruneAccess.run(now).changes + pruneRefresh.run(now).changes);

  return {
    async insertClient(client) {
      const row = insertClient.get({
        client_id: client.clientId,
        name: client.name,
        org_id: client.orgId,
        redirect_urls: JSON.stringify(client.redirectUrls),
        secret_hash: client.secretHash,
        is_active: client.isActive ? 1 : 0,
        created_at: client.createdAt,
      }) as ClientRow;
      return fromRow(row);
    },
    async getClient(id) {
      const row = byId.get(id);
      return row === undefined ? undefined : fromRow(row);
    },
    async getClientByClientId(clientId) {
      const row = byClientId.get(clientId);
      return row === undefined ? undefined : fromRow(row);
    },
    async listClients(query): Promise<Page<StoredOAuthClient>> {
      const args = { orgIds: JSON.stringify(query.orgIds), limit: query.limit, offset: query.offset };
      return { content: page.all(args).map(fromRow), totalElements: count.get(args)?.n ?? 0 };
    },
    async setClientActive(id, isActive) {
      const row = setActive.get(isActive ? 1 : 0, id);
      return row === undefined ? undefined : fromRow(row);
    },
    async deleteClient(id) {
      return removeClient.run(id).changes > 0;
    },
    async insertTokens(pair) {
      insertPair(pair);
    },
    async findAccessToken(hash) {
      const row = access.get(hash);
      return row === undefined ? undefined : { client: fromRow(row), expiresAt: row.expires_at };
    },
    async consumeRefreshToken(hash, clientId) {
      const row = consume.get(hash, clientId);
      return row === undefined ? undefined : { orgId: row.org_id, expiresAt: row.expires_at };
    },
    async pruneExpiredTokens(now) {
      return prune(now);
    },
  };
}
