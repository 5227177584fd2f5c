import type { Database } from 'better-sqlite3';

/**
 * Platform schema step 1: organizations (spec §5.1), a minimal users table (devices name an owner),
 * OAuth clients and their tokens (spec §5.8). Tokens and secrets are stored hashed only.
 */
export function orgSchema(db: Database): void {
  db.exec(`
    CREATE TABLE organizations (
      -- AUTOINCREMENT: ids are never reused, so a scope held by a live connection can never
      -- come to mean a newer org.
      id               INTEGER PRIMARY KEY AUTOINCREMENT,
      -- No cascade: an org with sub-orgs cannot be deleted (spec §5.1).
      parent_id        INTEGER REFERENCES organizations(id),
      name             TEXT NOT NULL,
      -- JS toLowerCase() of name: case-insensitive search beyond ASCII.
      name_lower       TEXT NOT NULL,
      description      TEXT NOT NULL DEFAULT '',
      type             TEXT NOT NULL CHECK (type IN ('ROOT', 'BUSINESS', 'PERSONAL', 'BRANCH',
                         'DISTRIBUTOR', 'CONTRACTOR', 'INSTALLER', 'RESELLER')),
      is_active        INTEGER NOT NULL DEFAULT 1,
      tz               TEXT NOT NULL,
      unit_system      TEXT NOT NULL CHECK (unit_system IN ('METRIC', 'IMPERIAL')),
      phone_number     TEXT,
      address          TEXT, -- JSON Address, NULL when absent
      home_region_url  TEXT,
      created_at       INTEGER NOT NULL,
      last_modified_ts INTEGER NOT NULL
    );
    CREATE INDEX organizations_parent ON organizations (parent_id);
    -- At most one root.
    CREATE UNIQUE INDEX organizations_single_root ON organizations ((parent_id IS NULL))
      WHERE parent_id IS NULL;

    CREATE TABLE users (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      org_id     INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      email      TEXT NOT NULL COLLATE NOCASE UNIQUE,
      name       TEXT NOT NULL,
      role       TEXT NOT NULL DEFAULT 'USER' CHECK (role IN ('ADMIN', 'STAFF', 'USER')),
      created_at INTEGER NOT NULL
    );
    CREATE INDEX users_org ON users (org_id);

    CREATE TABLE oauth_clients (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      client_id     TEXT NOT NULL UNIQUE,
      name          TEXT NOT NULL,
      org_id        INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      redirect_urls TEXT NOT NULL, -- JSON array of strings
      secret_hash   TEXT NOT NULL, -- scrypt$N$r$p$salt$hash
      is_active     INTEGER NOT NULL DEFAULT 1,
      created_at    INTEGER NOT NULL
    );
    CREATE INDEX oauth_clients_org ON oauth_clients (org_id);

    CREATE TABLE access_tokens (
      token_hash TEXT PRIMARY KEY, -- sha256 hex of the bearer token
      client_id  INTEGER NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
      org_id     INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX access_tokens_client ON access_tokens (client_id);
    CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

    CREATE TABLE refresh_tokens (
      token_hash TEXT PRIMARY KEY, -- sha256 hex; the row is deleted when used (single use)
      client_id  INTEGER NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
      org_id     INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);
    CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
  `);
}
