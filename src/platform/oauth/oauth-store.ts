import type { OAuthClient, Page } from '../model.js';

/** A client as stored: the public fields plus the scrypt hash of its secret. */
export interface StoredOAuthClient extends OAuthClient {
  readonly secretHash: string;
}

/** One issued pair: only sha256 hashes of the tokens are stored. */
export interface TokenPair {
  /** numeric id of the client (OAuthClient.id) */
  readonly clientId: number;
  readonly orgId: number;
  readonly accessHash: string;
  readonly accessExpiresAt: number;
  readonly refreshHash: string;
  readonly refreshExpiresAt: number;
  readonly createdAt: number;
}

/**
 * Storage of OAuth clients and tokens (spec §5.8). Holds no rules: the service checks scope,
 * secrets, expiry and client state. Implementations: SQLite (src/platform/sqlite/oauth-store.ts),
 * PostgreSQL (src/platform/postgres/pg-oauth-store.ts).
 */
export interface OAuthStore {
  insertClient(client: Omit<StoredOAuthClient, 'id'>): Promise<StoredOAuthClient>;
  getClient(id: number): Promise<StoredOAuthClient | undefined>;
  getClientByClientId(clientId: string): Promise<StoredOAuthClient | undefined>;
  /** Clients of the given orgs, ordered by id. */
  listClients(query: {
    orgIds: readonly number[];
    offset: number;
    limit: number;
  }): Promise<Page<StoredOAuthClient>>;
  setClientActive(id: number, isActive: boolean): Promise<StoredOAuthClient | undefined>;
  /** Deletes a client and all its tokens; false when it did not exist. */
  deleteClient(id: number): Promise<boolean>;
  insertTokens(pair: TokenPair): Promise<void>;
  /** The access token's client and expiry; undefined when unknown (or its client is gone). */
  findAccessToken(hash: string): Promise<{ client: StoredOAuthClient; expiresAt: number } | undefined>;
  /**
   * Atomically removes a refresh token of `clientId` and returns its expiry: of two concurrent
   * uses exactly one succeeds. Undefined when unknown, already used, or of another client.
   */
  consumeRefreshToken(
    hash: string,
    clientId: number,
  ): Promise<{ orgId: number; expiresAt: number } | undefined>;
  /** Removes tokens that expired at or before `now`; returns how many. */
  pruneExpiredTokens(now: number): Promise<number>;
}
