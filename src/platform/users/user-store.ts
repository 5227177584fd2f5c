import type { Page, Role, User } from '../model.js';

/** A user as stored: the public fields plus the scrypt hash of the password. */
export interface StoredUser extends User {
  readonly passwordHash: string;
}

/** One console session: only the sha256 of the id the cookie carries is stored. */
export interface SessionRecord {
  readonly tokenHash: string;
  readonly userId: number;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Idle expiry: moved forward when the session is used. */
  readonly idleExpiresAt: number;
  /** Absolute expiry: never moves. */
  readonly expiresAt: number;
}

export interface UserPatch {
  readonly role?: Role;
  readonly orgId?: number;
  readonly passwordHash?: string;
}

/**
 * Storage of console users and their sessions. Holds no rules: the user service checks scope,
 * roles and passwords, the session service expiry. Emails arrive lower-cased; a second user with
 * the same email is a ConflictError. Implementations: SQLite (src/platform/sqlite/sqlite-user-store.ts),
 * PostgreSQL (src/platform/postgres/pg-user-store.ts).
 */
export interface UserStore {
  insertUser(user: Omit<StoredUser, 'id'>): Promise<StoredUser>;
  getUser(id: number): Promise<StoredUser | undefined>;
  getUserByEmail(email: string): Promise<StoredUser | undefined>;
  /** Users whose membership org is one of `orgIds`, ordered by id. */
  listUsers(query: { orgIds: readonly number[]; offset: number; limit: number }): Promise<Page<StoredUser>>;
  /** How many users are `role` in `orgId` (exactly that org, not its subtree). */
  countRole(orgId: number, role: Role): Promise<number>;
  updateUser(id: number, patch: UserPatch): Promise<StoredUser | undefined>;
  /** Deletes the user and all their sessions; false when it did not exist. */
  deleteUser(id: number): Promise<boolean>;

  insertSession(session: SessionRecord): Promise<void>;
  /** The session and its user; undefined when unknown (or its user is gone). */
  findSession(tokenHash: string): Promise<{ session: SessionRecord; user: StoredUser } | undefined>;
  /** Records use: `lastSeenAt` and the new idle expiry (capped by the caller at the absolute one). */
  touchSession(tokenHash: string, lastSeenAt: number, idleExpiresAt: number): Promise<void>;
  /** False when it did not exist. */
  deleteSession(tokenHash: string): Promise<boolean>;
  /** Ends every session of the user (password changed); returns how many. */
  deleteUserSessions(userId: number): Promise<number>;
  /** Removes sessions past their idle or absolute expiry at `now`; returns how many. */
  pruneExpiredSessions(now: number): Promise<number>;
}
