import type pg from 'pg';
import type { Logger } from 'pino';
import { StoreError, StoreUnavailableError } from '../../store/errors.js';
import { migratePg, type PgMigration } from '../../store/postgres/migrations.js';
import { createPool, redactDatabaseUrl } from '../../store/postgres/pool.js';
import { platformSchema } from './migrations.js';

export interface PlatformPoolOptions {
  readonly logger?: Logger;
  /** Connections at most. Default 8: reads and writes of many devices run side by side. */
  readonly maxConnections?: number;
  /** Give up on a new connection after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** A query without an answer after this long fails. Default 15 000 ms. */
  readonly queryTimeoutMs?: number;
  /** Test seam: schema steps to apply instead of the shipped ones. */
  readonly migrations?: readonly PgMigration[];
}

/**
 * A pool on the platform's database with its schema brought to the latest version (a newer one is
 * refused untouched: StoreVersionError). `bigint` columns read as numbers (ids and epoch-ms times).
 * StoreUnavailableError when PostgreSQL cannot be reached; nothing stays open then.
 */
export async function openPlatformPool(url: string, options: PlatformPoolOptions = {}): Promise<pg.Pool> {
  const pool = createPool(url, {
    name: 'platform store',
    bigintAsNumber: true,
    maxConnections: options.maxConnections ?? 8,
    queryTimeoutMs: options.queryTimeoutMs ?? 15_000,
    ...(options.logger && { logger: options.logger }),
    ...(options.connectionTimeoutMs !== undefined && { connectionTimeoutMs: options.connectionTimeoutMs }),
  });
  try {
    const client = await pool.connect();
    try {
      const schema = options.migrations ? { ...platformSchema, steps: options.migrations } : platformSchema;
      const { from, to } = await migratePg(client, redactDatabaseUrl(url), schema);
      if (from !== to) options.logger?.info({ from, to }, 'platform store: PostgreSQL schema migrated');
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw err instanceof StoreError ? err : new StoreUnavailableError(redactDatabaseUrl(url), { cause: err });
  }
  return pool;
}
