import type { Database } from 'better-sqlite3';
import { ConflictError } from '../errors.js';
import type { Page } from '../model.js';
import {
  SESSION_COLUMNS,
  type SessionRow,
  sessionFromRow,
  USER_COLUMNS,
  type UserRow,
  userFromRow,
} from '../users/user-rows.js';
import type { UserStore } from '../users/user-store.js';

export const DUPLICATE_EMAIL = 'A user with this email already exists.';

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** UserStore on the platform SQLite database (schema step 7, src/platform/sqlite/schema/users.ts). */
export function createSqliteUserStore(db: Database): UserStore {
  const insert = db.prepare<[object], UserRow>(`INSERT INTO users (org_id, email, name, role, password_hash,
      created_at) VALUES (@orgId, @email, @name, @role, @passwordHash, @createdAt) RETURNING ${USER_COLUMNS}`);
  const byId = db.prepare<[number], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const byEmail = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`);
  const scoped = 'FROM users WHERE org_id IN (SELECT value FROM json_each(@orgIds))';
  const page = db.prepare<[object], UserRow>(
    `SELECT ${USER_COLUMNS} ${scoped} ORDER BY id LIMIT @limit OFFSET @offset`,
  );
  const count = db.prepare<[object], { n: number }>(`SELECT count(*) AS n ${scoped}`);
  const countRole = db.prepare<[number, string], { n: number }>(
    'SELECT count(*) AS n FROM users WHERE org_id = ? AND role = ?',
  );
  const update = db.prepare<[object], UserRow>(`UPDATE users SET role = coalesce(@role, role),
      org_id = coalesce(@orgId, org_id), password_hash = coalesce(@passwordHash, password_hash)
    WHERE id = @id RETURNING ${USER_COLUMNS}`);
  const remove = db.prepare<[number]>('DELETE FROM users WHERE id = ?');
  const insertSession = db.prepare(`INSERT INTO user_sessions (${SESSION_COLUMNS})
    VALUES (@tokenHash, @userId, @csrfToken, @createdAt, @lastSeenAt, @idleExpiresAt, @expiresAt)`);
  const session = db.prepare<[string], SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] }>(
    `SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at,
      u.id AS u_id, u.org_id AS u_org_id, u.email AS u_email, u.name AS u_name, u.role AS u_role,
      u.password_hash AS u_password_hash, u.created_at AS u_created_at
    FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
  );
  const touch = db.prepare<[number, number, string]>(
    'UPDATE user_sessions SET last_seen_at = ?, idle_expires_at = ? WHERE token_hash = ?',
  );
  const removeSession = db.prepare<[string]>('DELETE FROM user_sessions WHERE token_hash = ?');
  const removeUserSessions = db.prepare<[number]>('DELETE FROM user_sessions WHERE user_id = ?');
  const prune = db.prepare<[number, number]>(
    'DELETE FROM user_sessions WHERE idle_expires_at <= ? OR expires_at <= ?',
  );

  return {
    async insertUser(user) {
      try {
        return userFromRow(insert.get({ ...user }) as UserRow);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(DUPLICATE_EMAIL);
        throw err;
      }
    },
    async getUser(id) {
      const row = byId.get(id);
      return row === undefined ? undefined : userFromRow(row);
    },
    async getUserByEmail(email) {
      const row = byEmail.get(email);
      return row === undefined ? undefined : userFromRow(row);
    },
    async listUsers(query): Promise<Page<ReturnType<typeof userFromRow>>> {
      const args = { orgIds: JSON.stringify(query.orgIds), limit: query.limit, offset: query.offset };
      return { content: page.all(args).map(userFromRow), totalElements: count.get(args)?.n ?? 0 };
    },
    async countRole(orgId, role) {
      return countRole.get(orgId, role)?.n ?? 0;
    },
    async updateUser(id, patch) {
      const row = update.get({
        id,
        role: patch.role ?? null,
        orgId: patch.orgId ?? null,
        passwordHash: patch.passwordHash ?? null,
      });
      return row === undefined ? undefined : userFromRow(row);
    },
    async deleteUser(id) {
      return remove.run(id).changes > 0; // sessions go with it (ON DELETE CASCADE)
    },
    async insertSession(record) {
      insertSession.run(record);
    },
    async findSession(tokenHash) {
      const row = session.get(tokenHash);
      if (row === undefined) return undefined;
      const user = userFromRow({
        id: row.u_id,
        org_id: row.u_org_id,
        email: row.u_email,
        name: row.u_name,
        role: row.u_role,
        password_hash: row.u_password_hash,
        created_at: row.u_created_at,
      });
      return { session: sessionFromRow(row), user };
    },
    async touchSession(tokenHash, lastSeenAt, idleExpiresAt) {
      touch.run(lastSeenAt, idleExpiresAt, tokenHash);
    },
    async deleteSession(tokenHash) {
      return removeSession.run(tokenHash).changes > 0;
    },
    async deleteUserSessions(userId) {
      return removeUserSessions.run(userId).changes;
    },
    async pruneExpiredSessions(now) {
      return prune.run(now, now).changes;
    },
  };
}
