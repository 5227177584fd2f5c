import type pg from 'pg';
import { StoreVersionError } from '../errors.js';

/**
 * One schema step, applied in its own transaction together with the version bump, so a failure
 * mid-migration leaves the previous version intact. Never edit a shipped step: append a new one.
 */
export interface PgMigration {
  /** 1-based; must equal the step's index + 1. */
  readonly version: number;
  readonly description: string;
  readonly up: (client: pg.PoolClient) => Promise<unknown>;
}

/** The table that records the engine schema's version, one row. */
export const VERSION_TABLE = 'devgate_engine_schema';

/** A versioned schema in a shared database: its steps and the one-row table holding its version. */
export interface PgSchema {
  readonly steps: readonly PgMigration[];
  readonly versionTable: string;
}

/** Serialises migrations of devgate processes starting against one database at the same time. */
const MIGRATION_LOCK_ID = 0x6465_7667; // "devg"

export const pgMigrations: readonly PgMigration[] = [
  {
    version: 1,
    description: 'engine sessions, outbound queue, inbound QoS 2 ids, retained messages',
    up: (client) =>
      client.query(`
        CREATE TABLE engine_sessions (
          client_id        text PRIMARY KEY,
          protocol_version smallint NOT NULL,
          expiry_interval  bigint NOT NULL,
          disconnected_at  bigint,
          subscriptions    jsonb NOT NULL, -- PersistedSubscription[] (sealed filters as given)
          will             jsonb,          -- PersistedWill, payload base64; NULL when none
          identity         jsonb           -- ClientIdentity of the owner; NULL when unknown
        );
        CREATE TABLE engine_outbound (
          client_id        text NOT NULL,
          seq              bigint NOT NULL,
          packet_id        integer,
          state            text NOT NULL CHECK (state IN ('queued', 'publish', 'pubrel')),
          topic            text NOT NULL,
          payload          bytea NOT NULL,
          qos              smallint NOT NULL,
          retain           boolean NOT NULL,
          properties       jsonb NOT NULL, -- MessageProperties, correlationData base64
          expires_at       bigint,
          created_at       bigint NOT NULL,
          publisher_id     text,
          subscription_ids jsonb,          -- v5 subscription identifiers; NULL when absent
          PRIMARY KEY (client_id, seq)
        );
        CREATE TABLE engine_inbound_qos2 (
          client_id text NOT NULL,
          packet_id integer NOT NULL,
          PRIMARY KEY (client_id, packet_id)
        );
        CREATE TABLE engine_retained (
          topic        text PRIMARY KEY,
          payload      bytea NOT NULL,
          qos          smallint NOT NULL,
          retain       boolean NOT NULL,
          properties   jsonb NOT NULL,
          expires_at   bigint,
          created_at   bigint NOT NULL,
          publisher_id text
        );
      `),
  },
];

export const pgLatestVersion = pgMigrations.length;

export const engineSchema: PgSchema = { steps: pgMigrations, versionTable: VERSION_TABLE };

/**
 * Brings the database (the first schema of its search_path) up to the newest step of `schema`.
 * Refuses a database written by a newer devgate, untouched, rather than guessing at its schema.
 * The engine's and the platform's schemas are versioned apart, each in its own version table.
 */
export async function migratePg(
  client: pg.PoolClient,
  where: string,
  schema: PgSchema = engineSchema,
): Promise<{ from: number; to: number }> {
  const { steps, versionTable } = schema;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${versionTable} (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${versionTable}`);
    const from = rows[0]?.version ?? 0;
    if (from > steps.length) {
      throw new StoreVersionError(where, from, steps.length, 'point --database-url at another database');
    }
    for (const step of steps.slice(from)) {
      if (step.version !== steps.indexOf(step) + 1) {
        throw new Error(`migration ${step.description} has version ${step.version} out of order`);
      }
      await inTransaction(client, async () => {
        await step.up(client);
        await client.query(`DELETE FROM ${versionTable}`);
        await client.query(`INSERT INTO ${versionTable} (version) VALUES ($1)`, [step.version]);
      });
    }
    return { from, to: Math.max(from, steps.length) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
  }
}

/** Runs `work` between BEGIN and COMMIT; ROLLBACK (best effort) and rethrow on failure. */
export async function inTransaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
