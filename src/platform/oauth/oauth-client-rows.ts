import type { StoredOAuthClient } from './oauth-store.js';

/**
 * The oauth_clients row (same columns on SQLite and PostgreSQL) and its mapping to the model,
 * shared by both backends. `is_active` is 0/1 on SQLite and a boolean on PostgreSQL.
 */
export interface OAuthClientRow {
  id: number;
  client_id: string;
  name: string;
  org_id: number;
  redirect_urls: string;
  secret_hash: string;
  is_active: number | boolean;
  created_at: number;
}

export const OAUTH_CLIENT_COLUMNS =
  'id, client_id, name, org_id, redirect_urls, secret_hash, is_active, created_at';

export function oauthClientFromRow(row: OAuthClientRow): StoredOAuthClient {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    orgId: row.org_id,
    redirectUrls: JSON.parse(row.redirect_urls) as string[],
    isActive: row.is_active === true || row.is_active === 1,
    createdAt: row.created_at,
    secretHash: row.secret_hash,
  };
}
