import type pg from 'pg';
import { ConflictError } from '../errors.js';
import {
  SESSION_COLUMNS,
  type SessionRow,
  sessionFromRow,
  USER_COLUMNS,
  type UserRow,
  userFromRow,
} from '../users/user-rows.js';
import type { StoredUser, UserStore } from '../users/user-store.js';
import { isPgError, selectPage, UNIQUE_VIOLATION } from './pg-store-sql.js';

const DUPLICATE_EMAIL = 'A user with this email already exists.';
const INSERT = `INSERT INTO users (org_id, email, name, role, password_hash, created_at)
  VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${USER_COLUMNS}`;
const UPDATE = `UPDATE users SET role = coalesce($2, role), org_id = coalesce($3::bigint, org_id),
    password_hash = coalesce($4, password_hash)
  WHERE id = $1 RETURNING ${USER_COLUMNS}`;
// The user's columns ride along under a prefix: one round trip per request that carries a cookie.
const FIND_SESSION = `SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at,
    s.idle_expires_at, s.expires_at, row_to_json(u)::text AS user_json
  FROM user_sessions s JOIN (SELECT ${USER_COLUMNS} FROM users) u ON u.id = s.user_id WHERE s.token_hash = $1`;

function userOrUndefined(rows: readonly UserRow[]): StoredUser | undefined {
  return rows[0] === undefined ? undefined : userFromRow(rows[0]);
}

/** UserStore on the platform PostgreSQL database (schema step 7, schema/users.ts). */
export function createPostgresUserStore(pool: pg.Pool): UserStore {
  return {
    async insertUser(user) {
      try {
        const { rows } = await pool.query<UserRow>(INSERT, [
          user.orgId,
          user.email,
          user.name,
          user.role,
          user.passwordHash,
          user.createdAt,
        ]);
        return userFromRow(rows[0] as UserRow);
      } catch (err) {
        if (isPgError(err, UNIQUE_VIOLATION, 'users_email')) throw new ConflictError(DUPLICATE_EMAIL);
        throw err;
      }
    },
    async getUser(id) {
      const sql = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;
      return userOrUndefined((await pool.query<UserRow>(sql, [id])).rows);
    },
    async getUserByEmail(email) {
      const sql = `SELECT ${USER_COLUMNS} FROM users WHERE lower(email) = $1`;
      return userOrUndefined((await pool.query<UserRow>(sql, [email])).rows);
    },
    async listUsers(query) {
      const scoped = `SELECT ${USER_COLUMNS} FROM users WHERE org_id = ANY($1::bigint[])`;
      const page = await selectPage<UserRow>(pool, scoped, [query.orgIds], query);
      return { content: page.content.map(userFromRow), totalElements: page.totalElements };
    },
    async countRole(orgId, role) {
      const sql = 'SELECT count(*) AS n FROM users WHERE org_id = $1 AND role = $2';
      const { rows } = await pool.query<{ n: number }>(sql, [orgId, role]);
      return Number(rows[0]?.n ?? 0);
    },
    async updateUser(id, patch) {
      const params = [id, patch.role ?? null, patch.orgId ?? null, patch.passwordHash ?? null];
      return userOrUndefined((await pool.query<UserRow>(UPDATE, params)).rows);
    },
    async deleteUser(id) {
      // The user's sessions go with it (ON DELETE CASCADE).
      return ((await pool.query('DELETE FROM users WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async insertSession(s) {
      await pool.query(`INSERT INTO user_sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        s.tokenHash,
        s.userId,
        s.csrfToken,
        s.createdAt,
        s.lastSeenAt,
        s.idleExpiresAt,
        s.expiresAt,
      ]);
    },
    async findSession(tokenHash) {
      const { rows } = await pool.query<SessionRow & { user_json: string }>(FIND_SESSION, [tokenHash]);
      const row = rows[0];
      if (row === undefined) return undefined;
      return { session: sessionFromRow(row), user: userFromRow(JSON.parse(row.user_json) as UserRow) };
    },
    async touchSession(tokenHash, lastSeenAt, idleExpiresAt) {
      await pool.query(
        'UPDATE user_sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE token_hash = $3',
        [lastSeenAt, idleExpiresAt, tokenHash],
      );
    },
    async deleteSession(tokenHash) {
      const result = await pool.query('DELETE FROM user_sessions WHERE token_hash = $1', [tokenHash]);
      return (result.rowCount ?? 0) > 0;
    },
    async deleteUserSessions(userId) {
      return (await pool.query('DELETE FROM user_sessions WHERE user_id = $1', [userId])).rowCount ?? 0;
    },
    async pruneExpiredSessions(now) {
      const sql = 'DELETE FROM user_sessions WHERE idle_expires_at <= $1 OR expires_at <= $1';
      return (await pool.query(sql, [now])).rowCount ?? 0;
    },
  };
}
