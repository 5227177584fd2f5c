import type { Database } from 'better-sqlite3';

/**
 * Migration 3: devices and everything hung off a device. Device tokens are never stored in clear
 * (spec §9 "Tokens and secrets"): `token_hash` (sha256 hex) finds a device, `token_enc`
 * (AES-256-GCM under the platform key) lets an authorized caller see the token again.
 * Per-device data rows go with their device (ON DELETE CASCADE).
 */
export function deviceSchema(db: Database): void {
  db.exec(`
    CREATE TABLE devices (
      id                 INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused
      name               TEXT NOT NULL,
      template_id        INTEGER NOT NULL REFERENCES templates(id),
      org_id             INTEGER NOT NULL REFERENCES organizations(id),
      owner_user_id      INTEGER,
      status             TEXT NOT NULL
        CHECK (status IN ('CREATED', 'PENDING', 'ACTIVATED', 'UNCLAIMED', 'CLAIMED')),
      token_hash         TEXT NOT NULL UNIQUE,
      token_enc          BLOB NOT NULL,
      hardware_info      TEXT, -- JSON HardwareInfo
      activated_at       INTEGER,
      first_connect_time INTEGER,
      connect_time       INTEGER,
      disconnect_time    INTEGER,
      ip                 TEXT,
      created_at         INTEGER NOT NULL,
      last_modified_ts   INTEGER NOT NULL
    );
    CREATE INDEX devices_by_org ON devices (org_id, id);
    CREATE INDEX devices_by_template ON devices (template_id);

    CREATE TABLE static_tokens (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      token          TEXT NOT NULL UNIQUE, -- QR token sqr_…
      org_id         INTEGER NOT NULL REFERENCES organizations(id),
      product_id     INTEGER NOT NULL REFERENCES templates(id),
      device_id      INTEGER NOT NULL UNIQUE REFERENCES devices(id) ON DELETE CASCADE,
      status         TEXT NOT NULL CHECK (status IN ('CLAIMED', 'UNCLAIMED')),
      owner_id       INTEGER,
      claimed_org_id INTEGER, -- a record of the claim, not a live link
      created_at     INTEGER NOT NULL
    );
    CREATE INDEX static_tokens_by_org ON static_tokens (org_id, id);

    CREATE TABLE current_values (
      device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      datastream_id INTEGER NOT NULL,
      value         TEXT NOT NULL, -- JSON DatastreamValue
      updated_at    INTEGER NOT NULL,
      PRIMARY KEY (device_id, datastream_id)
    ) WITHOUT ROWID;

    CREATE TABLE history (
      device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      datastream_id INTEGER NOT NULL,
      ts            INTEGER NOT NULL,
      value         TEXT NOT NULL -- JSON DatastreamValue
    );
    CREATE INDEX history_by_stream ON history (device_id, datastream_id, ts);

    CREATE TABLE properties (
      device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      datastream_id INTEGER NOT NULL,
      name          TEXT NOT NULL,
      value_list    TEXT NOT NULL, -- JSON string[]
      PRIMARY KEY (device_id, datastream_id, name)
    ) WITHOUT ROWID;

    CREATE TABLE meta_values (
      device_id     INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      meta_field_id INTEGER NOT NULL,
      value         TEXT NOT NULL,
      PRIMARY KEY (device_id, meta_field_id)
    ) WITHOUT ROWID;

    CREATE TABLE device_events (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      event_id    INTEGER NOT NULL,
      code        TEXT NOT NULL, -- as defined when logged
      description TEXT NOT NULL,
      ts          INTEGER NOT NULL
    );
    CREATE INDEX device_events_by_device ON device_events (device_id, ts);
  `);
}
