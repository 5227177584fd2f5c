import type { Role } from '../model.js';
import type { SessionRecord, StoredUser } from './user-store.js';

/** The users row (same columns on SQLite and PostgreSQL) and its mapping, shared by both backends. */
export interface UserRow {
  id: number;
  org_id: number;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
}

export const USER_COLUMNS = 'id, org_id, email, name, role, password_hash, created_at';

export function userFromRow(row: UserRow): StoredUser {
  return {
    id: Number(row.id),
    orgId: Number(row.org_id),
    email: row.email,
    name: row.name,
    role: row.role as Role,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
  };
}

export interface SessionRow {
  token_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  expires_at: number;
}

export const SESSION_COLUMNS =
  'token_hash, user_id, csrf_token, created_at, last_seen_at, idle_expires_at, expires_at';

export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    tokenHash: row.token_hash,
    userId: Number(row.user_id),
    csrfToken: row.csrf_token,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    idleExpiresAt: Number(row.idle_expires_at),
    expiresAt: Number(row.expires_at),
  };
}
