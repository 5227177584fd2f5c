import type pg from 'pg';
import type { Page } from '../model.js';
import { OAUTH_CLIENT_COLUMNS, type OAuthClientRow, oauthClientFromRow } from '../oauth/oauth-client-rows.js';
import type { OAuthStore, StoredOAuthClient } from '../oauth/oauth-store.js';
import { selectPage } from './pg-store-sql.js';

const INSERT_CLIENT = `INSERT INTO oauth_clients (client_id, name, org_id, redirect_urls, secret_hash, is_active,
    created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${OAUTH_CLIENT_COLUMNS}`;
// Both tokens of a pair in one statement: they are stored together or not at all.
const INSERT_PAIR = `WITH access AS (
    INSERT INTO access_tokens (token_hash, client_id, org_id, expires_at, created_at) VALUES ($1, $3, $4, $5, $7)
  )
  INSERT INTO refresh_tokens (token_hash, client_id, org_id, expires_at, created_at) VALUES ($2, $3, $4, $6, $7)`;
const FIND_ACCESS = `SELECT c.id, c.client_id, c.name, c.org_id, c.redirect_urls, c.secret_hash, c.is_active,
    c.created_at, t.expires_at AS token_expires_at
  FROM access_tokens t JOIN oauth_clients c ON c.id = t.client_id WHERE t.token_hash = $1`;
// One statement: of two concurrent uses, the second waits for the first's row lock, then finds
// the row gone and deletes nothing (single use, spec §5.8).
const CONSUME_REFRESH = `DELETE FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2
  RETURNING org_id, expires_at`;
const PRUNE = `WITH access AS (DELETE FROM access_tokens WHERE expires_at <= $1 RETURNING 1),
    refresh AS (DELETE FROM refresh_tokens WHERE expires_at <= $1 RETURNING 1)
  SELECT (SELECT count(*) FROM access) + (SELECT count(*) FROM refresh) AS removed`;

function clientOrUndefined(rows: readonly OAuthClientRow[]): StoredOAuthClient | undefined {
  return rows[0] === undefined ? undefined : oauthClientFromRow(rows[0]);
}

/** OAuthStore on the platform PostgreSQL database (schema step 1, schema/orgs.ts). */
export function createPostgresOAuthStore(pool: pg.Pool): OAuthStore {
  return {
    async insertClient(client) {
      const { rows } = await pool.query<OAuthClientRow>(INSERT_CLIENT, [
        client.clientId,
        client.name,
        client.orgId,
        JSON.stringify(client.redirectUrls),
        client.secretHash,
        client.isActive,
        client.createdAt,
      ]);
      return oauthClientFromRow(rows[0] as OAuthClientRow);
    },
    async getClient(id) {
      const sql = `SELECT ${OAUTH_CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1`;
      return clientOrUndefined((await pool.query<OAuthClientRow>(sql, [id])).rows);
    },
    async getClientByClientId(clientId) {
      const sql = `SELECT ${OAUTH_CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1`;
      return clientOrUndefined((await pool.query<OAuthClientRow>(sql, [clientId])).rows);
    },
    async listClients(query): Promise<Page<StoredOAuthClient>> {
      const scoped = `SELECT ${OAUTH_CLIENT_COLUMNS} FROM oauth_clients WHERE org_id = ANY($1::bigint[])`;
      const page = await selectPage<OAuthClientRow>(pool, scoped, [query.orgIds], query);
      return { content: page.content.map(oauthClientFromRow), totalElements: page.totalElements };
    },
    async setClientActive(id, isActive) {
      const sql = `UPDATE oauth_clients SET is_active = $1 WHERE id = $2 RETURNING ${OAUTH_CLIENT_COLUMNS}`;
      return clientOrUndefined((await pool.query<OAuthClientRow>(sql, [isActive, id])).rows);
    },
    async deleteClient(id) {
      // The client's tokens go with it (ON DELETE CASCADE).
      return ((await pool.query('DELETE FROM oauth_clients WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async insertTokens(pair) {
      await pool.query(INSERT_PAIR, [
        pair.accessHash,
        pair.refreshHash,
        pair.clientId,
        pair.orgId,
        pair.accessExpiresAt,
        pair.refreshExpiresAt,
        pair.createdAt,
      ]);
    },
    async findAccessToken(hash) {
      const { rows } = await pool.query<OAuthClientRow & { token_expires_at: number }>(FIND_ACCESS, [hash]);
      const row = rows[0];
      return row === undefined
        ? undefined
        : { client: oauthClientFromRow(row), expiresAt: row.token_expires_at };
    },
    async consumeRefreshToken(hash, clientId) {
      const { rows } = await pool.query<{ org_id: number; expires_at: number }>(CONSUME_REFRESH, [
        hash,
        clientId,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : { orgId: row.org_id, expiresAt: row.expires_at };
    },
    async pruneExpiredTokens(now) {
      const { rows } = await pool.query<{ removed: number }>(PRUNE, [now]);
      return rows[0]?.removed ?? 0;
    },
  };
}
