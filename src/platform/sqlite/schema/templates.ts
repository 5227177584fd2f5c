import type { Database } from 'better-sqlite3';

/**
 * Platform schema step 2: templates (spec §5.2) with their datastreams (§5.3), events (§5.6) and
 * metadata fields (§5.5).
 *
 * AUTOINCREMENT: ids are never reused, so device values or events stored against a deleted
 * datastream/event/field id can never attach to a new one. Names, pins and codes are unique per
 * template by the service's validation, not by an index: a full-list update may swap two names or
 * pins, which row-by-row UNIQUE checks would refuse half-way.
 */
export function templateSchema(db: Database): void {
  db.exec(`
    CREATE TABLE templates (
      id                INTEGER PRIMARY KEY AUTOINCREMENT,
      template_id       TEXT NOT NULL UNIQUE,
      -- No cascade: the template cache must hear of every deletion, so an org that owns
      -- templates cannot be deleted under it.
      org_id            INTEGER NOT NULL REFERENCES organizations(id),
      name              TEXT NOT NULL,
      description       TEXT NOT NULL DEFAULT '',
      board_type        TEXT NOT NULL DEFAULT '',
      connection_type   TEXT NOT NULL DEFAULT '',
      gateway_enabled   INTEGER NOT NULL DEFAULT 0,
      offline_delay_sec INTEGER NOT NULL DEFAULT 60,
      created_at        INTEGER NOT NULL,
      last_modified_ts  INTEGER NOT NULL
    );
    CREATE INDEX templates_org ON templates (org_id);

    CREATE TABLE datastreams (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      template_id   INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
      position      INTEGER NOT NULL,
      name          TEXT NOT NULL,
      alias         TEXT,
      pin           INTEGER NOT NULL,
      type          TEXT NOT NULL CHECK (type IN ('Integer', 'Double', 'String', 'Enum', 'Location', 'Boolean')),
      min           REAL,
      max           REAL,
      default_value TEXT, -- JSON DatastreamValue, NULL when absent
      units         TEXT,
      decimals      INTEGER,
      is_sync       INTEGER NOT NULL DEFAULT 0,
      is_raw        INTEGER NOT NULL DEFAULT 0,
      enum_values   TEXT, -- JSON array of {value, label}, NULL when absent
      enum_fallback INTEGER
    );
    CREATE INDEX datastreams_template ON datastreams (template_id, position);

    CREATE TABLE template_events (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
      position    INTEGER NOT NULL,
      code        TEXT NOT NULL,
      name        TEXT NOT NULL,
      type        TEXT NOT NULL CHECK (type IN ('INFORMATION', 'WARNING', 'CRITICAL', 'CONTENT')),
      description TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX template_events_template ON template_events (template_id, position);

    CREATE TABLE meta_fields (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      template_id   INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,
      position      INTEGER NOT NULL,
      name          TEXT NOT NULL,
      type          TEXT NOT NULL,
      built_in      INTEGER NOT NULL DEFAULT 0,
      default_value TEXT,
      min           REAL,
      max           REAL,
      options       TEXT -- JSON array of strings (List), NULL when absent
    );
    CREATE INDEX meta_fields_template ON meta_fields (template_id, position);
  `);
}
