import type { Database } from 'better-sqlite3';

/**
 * Migration 5: new history rows land here first, in write order, with no index of their own, and
 * move into `history` in sorted chunks (sqlite-value-store.ts). Inserting straight into the
 * `(device_id, datastream_id, ts)` index dirties one index page per datastream per commit, which
 * bounded sustained ingest; a sorted chunk fills each page with many rows at once.
 */
export function historyStagingSchema(db: Database): void {
  db.exec(`
    CREATE TABLE history_staging (
      device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      datastream_id INTEGER NOT NULL,
      ts            INTEGER NOT NULL,
      value         TEXT NOT NULL -- JSON DatastreamValue
    );
  `);
}
