import type pg from 'pg';

/**
 * PostgreSQL platform schema step 7: people who sign in to the console (the SQLite step 7's
 * columns). The users table of step 1 gains a password hash and the console roles; earlier rows
 * get the nearest role (USER → viewer) and no usable password. Sessions keep only a hash of the
 * id the browser holds (decision 0024).
 */
export function userSchema(client: pg.PoolClient): Promise<unknown> {
  return client.query(`
    ALTER TABLE users DROP CONSTRAINT users_role_check;
    UPDATE users SET email = lower(email),
      role = CASE role WHEN 'ADMIN' THEN 'admin' WHEN 'STAFF' THEN 'staff' ELSE 'viewer' END;
    ALTER TABLE users ALTER COLUMN role DROP DEFAULT;
    ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'staff', 'viewer'));
    ALTER TABLE users ADD COLUMN password_hash text NOT NULL DEFAULT '!';
    ALTER TABLE users ALTER COLUMN password_hash DROP DEFAULT;

    CREATE TABLE user_sessions (
      token_hash      text PRIMARY KEY, -- sha256 hex of the cookie's random id
      user_id         bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      csrf_token      text NOT NULL,
      created_at      bigint NOT NULL,
      last_seen_at    bigint NOT NULL,
      idle_expires_at bigint NOT NULL,
      expires_at      bigint NOT NULL
    );
    CREATE INDEX user_sessions_user ON user_sessions (user_id);
    CREATE INDEX user_sessions_idle ON user_sessions (idle_expires_at);
    CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);
  `);
}
