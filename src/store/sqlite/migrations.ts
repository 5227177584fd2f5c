import type { Database } from 'better-sqlite3';
import { StoreVersionError } from '../errors.js';

/**
 * One schema step. Steps are applied in array order, each in its own transaction together with
 * the `PRAGMA user_version` bump, so a crash mid-migration leaves the previous version intact.
 * Never edit a shipped step: append a new one.
 */
export interface Migration {
  /** 1-based; must equal the step's index + 1. */
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database) => void;
  /**
   * The step removes secrets stored in clear text: it runs with secure_delete on (freed pages and
   * cells are overwritten with zeros) and the WAL is truncated after the migration, so no copy of
   * the old rows stays anywhere in the files.
   */
  readonly scrubs?: boolean;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'sessions (with owner identity), outbound queue, inbound QoS 2 ids, retained messages',
    up: (db) =>
      db.exec(`
        CREATE TABLE sessions (
          client_id        TEXT PRIMARY KEY,
          protocol_version INTEGER NOT NULL,
          expiry_interval  INTEGER NOT NULL,
          disconnected_at  INTEGER,
          -- JSON array of PersistedSubscription
          subscriptions    TEXT NOT NULL,
          -- JSON PersistedWill (payload base64), NULL when none
          will             TEXT,
          -- JSON ClientIdentity of the owner, NULL when unknown
          identity         TEXT
        );
        CREATE TABLE outbound (
          client_id    TEXT NOT NULL,
          seq          INTEGER NOT NULL,
          packet_id    INTEGER,
          state        TEXT NOT NULL CHECK (state IN ('queued', 'publish', 'pubrel')),
          topic        TEXT NOT NULL,
          payload      BLOB NOT NULL,
          qos          INTEGER NOT NULL,
          retain       INTEGER NOT NULL,
          properties   TEXT NOT NULL, -- JSON MessageProperties (correlationData base64)
          expires_at   INTEGER,
          created_at   INTEGER NOT NULL,
          publisher_id TEXT,
          subscription_ids TEXT, -- JSON array of v5 subscription identifiers, NULL when absent
          PRIMARY KEY (client_id, seq)
        );
        CREATE TABLE inbound_qos2 (
          client_id TEXT NOT NULL,
          packet_id INTEGER NOT NULL,
          PRIMARY KEY (client_id, packet_id)
        ) WITHOUT ROWID;
        CREATE TABLE retained (
          topic        TEXT PRIMARY KEY,
          payload      BLOB NOT NULL,
          qos          INTEGER NOT NULL,
          retain       INTEGER NOT NULL,
          properties   TEXT NOT NULL,
          expires_at   INTEGER,
          created_at   INTEGER NOT NULL,
          publisher_id TEXT
        );
      `),
  },
];

/** The schema version this code writes. */
export const latestVersion = migrations.length;

/**
 * Brings `db` up to the newest version in `steps`. Refuses a file from a newer devgate rather than
 * guessing at a schema it does not know.
 */
export function migrate(
  db: Database,
  file: string,
  steps: readonly Migration[] = migrations,
): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > steps.length) throw new StoreVersionError(file, from, steps.length);
  let scrubbed = false;
  for (const step of steps.slice(from)) {
    if (step.version !== steps.indexOf(step) + 1) {
      throw new Error(`migration ${step.description} has version ${step.version} out of order`);
    }
    if (step.scrubs === true) db.pragma('secure_delete = ON');
    db.transaction(() => {
      step.up(db);
      // Pragmas take no bound parameters; the value is an integer we own.
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
    if (step.scrubs === true) db.pragma('secure_delete = OFF');
    scrubbed ||= step.scrubs === true;
  }
  // Older WAL frames may still hold the rows a scrubbing step rewrote: copy back and empty it.
  if (scrubbed) db.pragma('wal_checkpoint(TRUNCATE)');
  return { from, to: Math.max(from, steps.length) };
}
