import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Role, User } from '../model.js';
import { randomUrlSafe, sha256Hex } from '../oauth/secret-hash.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgService } from '../services.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { publicUser } from './user-service.js';
import type { SessionRecord, StoredUser, UserStore } from './user-store.js';
import { normalizeEmail, validatePassword } from './user-validation.js';

/** A session id is 32 random bytes (256 bits), URL-safe: a cookie value no one can guess. */
const SESSION_ID_BYTES = 32;
const CSRF_BYTES = 24;
/** Use is recorded at most this often (the idle expiry moves forward with it). */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
/** Expired sessions are swept at most this often on sign-in (also hourly by `devgate start`). */
const PRUNE_INTERVAL_MS = 60_000;
/** Longer than any password a user may set: a guess this long is refused before scrypt. */
const MAX_GUESS_LENGTH = 1024;

export const NO_ORG_ACCESS = 'No access to this organization.';

export interface Membership {
  readonly orgId: number;
  readonly role: Role;
}

/** A membership as the console shows it. */
export interface NamedMembership extends Membership {
  readonly orgName: string;
}

/** A live session: who, with what memberships, and the CSRF token its writes must carry. */
export interface ActiveSession {
  readonly user: User;
  readonly memberships: readonly Membership[];
  readonly csrfToken: string;
}

export interface SessionService {
  /** Email + password → a new session and the id for the cookie; undefined when they do not match. */
  login(
    email: string,
    password: string,
  ): Promise<(ActiveSession & { readonly sessionId: string }) | undefined>;
  /** The session behind a cookie's id; undefined when unknown, expired, or its user is gone. */
  resume(sessionId: string): Promise<ActiveSession | undefined>;
  /** The memberships with their organizations' names (the sign-in answer). */
  namedMemberships(session: ActiveSession): Promise<readonly NamedMembership[]>;
  logout(sessionId: string): Promise<void>;
  /**
   * The caller a session acts as in `orgId` (header `X-Devgate-Org`; default: the first membership):
   * the org must be a membership org or below one; the nearest membership above it gives the role.
   * ForbiddenError otherwise.
   */
  callerFor(session: ActiveSession, orgId: number | undefined): Caller;
  /** The user changes their own password (the current one must match); their other sessions end. */
  changePassword(sessionId: string, currentPassword: string, password: string): Promise<void>;
  /** Removes expired sessions; returns how many. */
  pruneExpired(now: number): Promise<number>;
}

class StoreSessionService implements SessionService {
  readonly #store: UserStore;
  readonly #orgs: OrgService;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  #lastPrune = Number.NEGATIVE_INFINITY;

  constructor(store: UserStore, orgs: OrgService, deps: PlatformDeps) {
    this.#store = store;
    this.#orgs = orgs;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#idleMs = deps.options.sessionIdleSec * 1000;
    this.#maxAgeMs = deps.options.sessionMaxAgeSec * 1000;
  }

  async login(email: string, password: string) {
    if (typeof password !== 'string' || password.length > MAX_GUESS_LENGTH) return undefined;
    let user: StoredUser | undefined;
    try {
      user = await this.#store.getUserByEmail(normalizeEmail(email));
    } catch {
      user = undefined; // not an email: refused like an unknown one, after the same scrypt
    }
    if (!(await verifyPassword(password, user?.passwordHash)) || user === undefined) return undefined;
    const now = this.#clock.now();
    await this.#pruneNow(now);
    const sessionId = randomUrlSafe(SESSION_ID_BYTES);
    const record: SessionRecord = {
      tokenHash: sha256Hex(sessionId),
      userId: user.id,
      csrfToken: randomUrlSafe(CSRF_BYTES),
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + this.#idleMs, now + this.#maxAgeMs),
      expiresAt: now + this.#maxAgeMs,
    };
    await this.#store.insertSession(record);
    this.#logger.info({ userId: user.id }, 'user signed in');
    return { ...this.#describe(user, record), sessionId };
  }

  async resume(sessionId: string): Promise<ActiveSession | undefined> {
    if (typeof sessionId !== 'string' || sessionId.length > 128) return undefined;
    const hash = sha256Hex(sessionId);
    const found = await this.#store.findSession(hash);
    if (found === undefined) return undefined;
    const { session, user } = found;
    const now = this.#clock.now();
    if (session.idleExpiresAt <= now || session.expiresAt <= now) {
      await this.#store.deleteSession(hash);
      return undefined;
    }
    // Use moves the idle expiry, at most once a minute (one write per minute, not per request).
    if (now - session.lastSeenAt >= SESSION_TOUCH_INTERVAL_MS) {
      await this.#store.touchSession(hash, now, Math.min(now + this.#idleMs, session.expiresAt));
    }
    return this.#describe(user, session);
  }

  async namedMemberships(session: ActiveSession): Promise<readonly NamedMembership[]> {
    return Promise.all(
      session.memberships.map(async (m) => {
        const org = await this.#orgs.get({ orgId: m.orgId, actor: 'system' }, m.orgId);
        return { orgId: m.orgId, orgName: org.name, role: m.role };
      }),
    );
  }

  async logout(sessionId: string): Promise<void> {
    if (typeof sessionId === 'string') await this.#store.deleteSession(sha256Hex(sessionId));
  }

  callerFor(session: ActiveSession, orgId: number | undefined): Caller {
    const user = session.user;
    const memberships = [...session.memberships].sort((a, b) => a.orgId - b.orgId);
    const target = orgId ?? memberships[0]?.orgId;
    if (target === undefined) throw new ForbiddenError(NO_ORG_ACCESS);
    // The nearest membership at or above the target: the deepest of those whose subtree holds it.
    let best: Membership | undefined;
    for (const m of memberships) {
      if (!this.#orgs.isInScope(m.orgId, target)) continue;
      if (best === undefined || this.#orgs.ancestry(m.orgId).length > this.#orgs.ancestry(best.orgId).length)
        best = m;
    }
    if (best === undefined) throw new ForbiddenError(NO_ORG_ACCESS);
    return { orgId: target, actor: `user:${user.id}`, role: best.role, userId: user.id };
  }

  async changePassword(sessionId: string, currentPassword: string, password: string): Promise<void> {
    const hash = sha256Hex(sessionId);
    const found = await this.#store.findSession(hash);
    if (found === undefined) throw new UnauthorizedError('Not signed in.');
    const next = validatePassword(password);
    if (
      typeof currentPassword !== 'string' ||
      !(await verifyPassword(currentPassword, found.user.passwordHash))
    )
      throw new ForbiddenError('The current password is wrong.');
    await this.#store.updateUser(found.user.id, { passwordHash: await hashPassword(next) });
    // Other sessions (perhaps someone else's) end; this one stays.
    await this.#store.deleteUserSessions(found.user.id);
    await this.#store.insertSession(found.session);
    this.#logger.info({ userId: found.user.id }, 'user changed their password');
  }

  pruneExpired(now: number): Promise<number> {
    return this.#store.pruneExpiredSessions(now);
  }

  async #pruneNow(now: number): Promise<void> {
    if (now - this.#lastPrune < PRUNE_INTERVAL_MS) return;
    this.#lastPrune = now;
    await this.#store.pruneExpiredSessions(now);
  }

  /** No store read: the API hook resumes a session on every request. */
  #describe(user: StoredUser, session: SessionRecord): ActiveSession {
    return {
      user: publicUser(user),
      memberships: [{ orgId: user.orgId, role: user.role }],
      csrfToken: session.csrfToken,
    };
  }
}

export function createSessionService(deps: PlatformDeps, orgs: OrgService, store: UserStore): SessionService {
  return new StoreSessionService(store, orgs, deps);
}
