import type pg from 'pg';
import type { Logger } from 'pino';
import { StoreError, StoreUnavailableError } from '../../store/errors.js';
import { migratePg, type PgMigration, type PgSchema } from '../../store/postgres/migrations.js';
import { createPool, redactDatabaseUrl } from '../../store/postgres/pool.js';

/**
 * The cluster's own tables, versioned apart from the engine's and the platform's in the same
 * database. Never edit a shipped step: append a new one.
 */
export const clusterMigrations: readonly PgMigration[] = [
  {
    version: 1,
    description: 'cluster nodes (membership by heartbeat) and session ownership with epochs',
    up: (client) =>
      client.query(`
        CREATE TABLE cluster_nodes (
          node_id      text PRIMARY KEY,
          incarnation  bigint NOT NULL,      -- +1 on every join: a rejoined node is a new life
          started_at   timestamptz NOT NULL, -- database clock, when this incarnation joined
          heartbeat_at timestamptz NOT NULL, -- database clock: skew between nodes does not matter
          address      text
        );
        CREATE TABLE cluster_sessions (
          session_key   text PRIMARY KEY,
          node_id       text NOT NULL,
          epoch         bigint NOT NULL,     -- +1 on every change of hands: the fencing token
          claimed_at    timestamptz NOT NULL,
          previous_node text                 -- the owner before the last claim, read back by it
        );
        CREATE INDEX cluster_sessions_node ON cluster_sessions (node_id);
      `),
  },
  {
    version: 2,
    description: 'the will of a connected session that ends with its connection, for the adopter',
    up: (client) =>
      client.query(`
        ALTER TABLE cluster_sessions
          ADD COLUMN will bytea,      -- encoded will message, as it would be published
          ADD COLUMN will_node text;  -- the node whose connection it belongs to
      `),
  },
];

export const clusterSchema: PgSchema = { steps: clusterMigrations, versionTable: 'devgate_cluster_schema' };

/**
 * Brings the cluster tables of the database behind `pool` to the newest version (under the
 * migration advisory lock every devgate schema shares); refuses a newer version untouched
 * (StoreVersionError).
 */
export async function migrateCluster(
  pool: pg.Pool,
  where: string,
  schema: PgSchema = clusterSchema,
): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    return await migratePg(client, where, schema);
  } finally {
    client.release();
  }
}

export interface ClusterPoolOptions {
  readonly logger?: Logger;
  /** Connections at most. Default 4: heartbeats, claim batches and reads side by side. */
  readonly maxConnections?: number;
  /** Give up on a new connection after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** A statement without an answer after this long fails. Default 10 000 ms. */
  readonly queryTimeoutMs?: number;
  /** Test seam: schema steps to apply instead of the shipped ones. */
  readonly migrations?: readonly PgMigration[];
}

/**
 * A pool for the cluster tables with their schema migrated. StoreVersionError for a newer schema,
 * StoreUnavailableError when PostgreSQL cannot be reached; nothing stays open then.
 */
export async function openClusterPool(url: string, options: ClusterPoolOptions = {}): Promise<pg.Pool> {
  const pool = createPool(url, {
    name: 'cluster',
    bigintAsNumber: true,
    maxConnections: options.maxConnections ?? 4,
    queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
    ...(options.logger && { logger: options.logger }),
    ...(options.connectionTimeoutMs !== undefined && { connectionTimeoutMs: options.connectionTimeoutMs }),
  });
  try {
    const schema = options.migrations ? { ...clusterSchema, steps: options.migrations } : clusterSchema;
    const { from, to } = await migrateCluster(pool, redactDatabaseUrl(url), schema);
    if (from !== to) options.logger?.info({ from, to }, 'cluster: PostgreSQL schema migrated');
  } catch (err) {
    await pool.end();
    throw err instanceof StoreError ? err : new StoreUnavailableError(redactDatabaseUrl(url), { cause: err });
  }
  return pool;
}
