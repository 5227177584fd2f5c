import type { Database } from 'better-sqlite3';

/**
 * Platform schema step 7: people who sign in to the console. The users table of step 1 (never
 * written by earlier versions) is rebuilt with a password hash and the console roles; earlier
 * rows keep their ids and get the nearest role (USER → viewer) and no usable password. Sessions
 * keep only a hash of the id the browser holds (decision 0024).
 */
export function userSchema(db: Database): void {
  db.exec(`
    CREATE TABLE users_v7 (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      -- The membership: the user's role applies to this org and its subtree.
      org_id        INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      -- Stored lower-cased by the service; NOCASE is the backstop for direct writes.
      email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
      name          TEXT NOT NULL,
      role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
      password_hash TEXT NOT NULL, -- scrypt$N$r$p$salt$hash; '!' = no password set
      created_at    INTEGER NOT NULL
    );
    INSERT INTO users_v7 (id, org_id, email, name, role, password_hash, created_at)
      SELECT id, org_id, lower(email), name,
        CASE role WHEN 'ADMIN' THEN 'admin' WHEN 'STAFF' THEN 'staff' ELSE 'viewer' END, '!', created_at
      FROM users;
    DROP TABLE users;
    ALTER TABLE users_v7 RENAME TO users;
    CREATE INDEX users_org ON users (org_id);

    CREATE TABLE user_sessions (
      token_hash      TEXT PRIMARY KEY, -- sha256 hex of the cookie's random id
      user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      csrf_token      TEXT NOT NULL,
      created_at      INTEGER NOT NULL,
      last_seen_at    INTEGER NOT NULL,
      idle_expires_at INTEGER NOT NULL,
      expires_at      INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX user_sessions_user ON user_sessions (user_id);
    CREATE INDEX user_sessions_idle ON user_sessions (idle_expires_at);
    CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);
  `);
}
