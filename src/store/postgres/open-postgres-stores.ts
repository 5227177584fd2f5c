import type { Logger } from 'pino';
import { StoreError, StoreUnavailableError } from '../errors.js';
import type { EngineStores } from '../types.js';
import { engineSchema, migratePg, type PgMigration } from './migrations.js';
import { PgRetainedStore } from './pg-retained-store.js';
import { PgSessionStore } from './pg-session-store.js';
import { createPool, redactDatabaseUrl } from './pool.js';
import type { PgStoreHandle } from './store-state.js';
import { PgWriteBatcher, type PgWriteBatcherStats } from './write-batcher.js';

export interface PostgresStoreOptions {
  readonly logger?: Logger;
  /** Row writes per transaction; more waiting starts a commit before the next turn. Default 1000. */
  readonly maxBatchSize?: number;
  /** Row writes waiting for a transaction at most (PostgreSQL slow or away). Default 100 000. */
  readonly maxPendingWrites?: number;
  /** Connections in the pool at most. Default 4. */
  readonly maxConnections?: number;
  /** Give up on a new connection after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** A statement without an answer after this long fails. Default: none. */
  readonly queryTimeoutMs?: number;
  /** Test seam: schema steps to apply instead of the shipped ones. */
  readonly migrations?: readonly PgMigration[];
}

export interface PostgresEngineStores extends EngineStores {
  readonly sessions: PgSessionStore;
  readonly retained: PgRetainedStore;
  readonly stats: Readonly<PgWriteBatcherStats>;
}

/**
 * Connects to `url`, brings the schema (the first one on the connection's search_path) to the
 * latest version, and returns both engine stores on one pool and one write batcher. Rejects with
 * StoreVersionError for a database written by a newer devgate, or StoreUnavailableError when
 * PostgreSQL cannot be reached or refuses us; nothing stays open then.
 */
export async function openPostgresStores(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresEngineStores> {
  const pool = createPool(url, {
    ...(options.logger && { logger: options.logger }),
    ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
    ...(options.connectionTimeoutMs !== undefined && { connectionTimeoutMs: options.connectionTimeoutMs }),
    ...(options.queryTimeoutMs !== undefined && { queryTimeoutMs: options.queryTimeoutMs }),
  });
  try {
    const client = await pool.connect();
    try {
      const { from, to } = await migratePg(client, redactDatabaseUrl(url), {
        ...engineSchema,
        ...(options.migrations && { steps: options.migrations }),
      });
      if (from !== to) options.logger?.info({ from, to }, 'engine store: PostgreSQL schema migrated');
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    // The URL in the message has its password masked; the driver's message names host and port.
    throw err instanceof StoreError ? err : new StoreUnavailableError(redactDatabaseUrl(url), { cause: err });
  }
  const batcher = new PgWriteBatcher(pool, {
    maxBatchSize: options.maxBatchSize ?? 1000,
    maxPendingWrites: options.maxPendingWrites ?? 100_000,
    ...(options.logger && { logger: options.logger }),
  });
  let holders = 2;
  const handle: PgStoreHandle = {
    pool,
    batcher,
    release: async () => {
      holders--;
      if (holders === 0) await pool.end();
    },
  };
  const sessions = new PgSessionStore(handle);
  const retained = new PgRetainedStore(handle);
  return {
    sessions,
    retained,
    stats: batcher.stats,
    async close() {
      // Both closes run (and release the pool) even if one flush fails; the failure is reported.
      const results = await Promise.allSettled([sessions.close(), retained.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
