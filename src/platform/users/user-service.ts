import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Page, Role, User } from '../model.js';
import { orgNotFound } from '../orgs/org-validation.js';
import { pageBounds } from '../orgs/paging.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgService, PageRequest } from '../services.js';
import { hashPassword } from './passwords.js';
import type { StoredUser, UserStore } from './user-store.js';
import { normalizeEmail, validatePassword, validateRole, validateUserName } from './user-validation.js';

export interface UserInput {
  readonly email: string;
  readonly name?: string;
  readonly password: string;
  readonly role: Role;
  /** The membership org; defaults to the caller's org; must be in scope. */
  readonly orgId?: number;
}

/**
 * Console users (decision 0024). Only an Admin manages users, and only those whose membership org
 * is in the Admin's subtree; any other user is reported as not found, like a missing one.
 */
export interface UserService {
  list(caller: Caller, page?: PageRequest): Promise<Page<User>>;
  get(caller: Caller, userId: number): Promise<User>;
  create(caller: Caller, input: UserInput): Promise<User>;
  /** New role, optionally in another org of the scope. Never demotes the root's last Admin. */
  setRole(caller: Caller, userId: number, change: { role: Role; orgId?: number }): Promise<User>;
  /** New password; the user's sessions end. */
  setPassword(caller: Caller, userId: number, password: string): Promise<void>;
  /** Deletes the user and their sessions. Never the root's last Admin. */
  delete(caller: Caller, userId: number): Promise<void>;
  /** First start: an Admin of `orgId` without a caller. */
  createSystemAdmin(orgId: number, email: string, password: string): Promise<User>;
  /** Whether any user exists (first start makes one when none does). */
  hasUsers(): Promise<boolean>;
}

export const USER_FORBIDDEN = 'Your role does not allow this.';
const LAST_ADMIN = 'The last Admin of the root organization cannot be deleted or demoted.';

export function userNotFound(id: number): NotFoundError {
  return new NotFoundError(`User with identifier ${id} is not found or belongs to another organization.`);
}

/** The public view: never the password hash. */
export function publicUser(user: StoredUser): User {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

class StoreUserService implements UserService {
  readonly #store: UserStore;
  readonly #orgs: OrgService;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(store: UserStore, orgs: OrgService, deps: PlatformDeps) {
    this.#store = store;
    this.#orgs = orgs;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async list(caller: Caller, page?: PageRequest): Promise<Page<User>> {
    requireAdmin(caller);
    const found = await this.#store.listUsers({
      orgIds: this.#orgs.subtree(caller.orgId),
      ...pageBounds(page),
    });
    return { content: found.content.map(publicUser), totalElements: found.totalElements };
  }

  async get(caller: Caller, userId: number): Promise<User> {
    return publicUser(await this.#inScope(caller, userId));
  }

  async create(caller: Caller, input: UserInput): Promise<User> {
    requireAdmin(caller);
    const orgId = input.orgId ?? caller.orgId;
    if (!this.#orgs.isInScope(caller.orgId, orgId)) throw orgNotFound(orgId);
    return this.#insert(orgId, input, caller.actor);
  }

  async setRole(caller: Caller, userId: number, change: { role: Role; orgId?: number }): Promise<User> {
    const user = await this.#inScope(caller, userId);
    const role = validateRole(change.role);
    const orgId = change.orgId ?? user.orgId;
    if (!this.#orgs.isInScope(caller.orgId, orgId)) throw orgNotFound(orgId);
    if (role !== 'admin' || orgId !== user.orgId) await this.#keepLastRootAdmin(user);
    const updated = await this.#store.updateUser(userId, { role, orgId });
    if (updated === undefined) throw userNotFound(userId);
    this.#logger.info({ userId, role, orgId, actor: caller.actor }, 'user role changed');
    return publicUser(updated);
  }

  async setPassword(caller: Caller, userId: number, password: string): Promise<void> {
    await this.#inScope(caller, userId);
    const passwordHash = await hashPassword(validatePassword(password));
    if ((await this.#store.updateUser(userId, { passwordHash })) === undefined) throw userNotFound(userId);
    await this.#store.deleteUserSessions(userId);
    this.#logger.info({ userId, actor: caller.actor }, 'user password changed');
  }

  async delete(caller: Caller, userId: number): Promise<void> {
    const user = await this.#inScope(caller, userId);
    await this.#keepLastRootAdmin(user);
    if (!(await this.#store.deleteUser(userId))) throw userNotFound(userId);
    this.#logger.info({ userId, actor: caller.actor }, 'user deleted');
  }

  async createSystemAdmin(orgId: number, email: string, password: string): Promise<User> {
    if (this.#orgs.ancestry(orgId).length === 0) throw orgNotFound(orgId);
    return this.#insert(orgId, { email, password, role: 'admin' }, 'system');
  }

  async hasUsers(): Promise<boolean> {
    const root = (await this.#orgs.root())?.id;
    if (root === undefined) return false;
    const page = await this.#store.listUsers({ orgIds: this.#orgs.subtree(root), offset: 0, limit: 1 });
    return page.totalElements > 0;
  }

  async #insert(orgId: number, input: UserInput, actor: string): Promise<User> {
    const email = normalizeEmail(input.email);
    const name = validateUserName(input.name, email);
    const role = validateRole(input.role);
    const passwordHash = await hashPassword(validatePassword(input.password));
    const user = await this.#store.insertUser({
      orgId,
      email,
      name,
      role,
      passwordHash,
      createdAt: this.#clock.now(),
    });
    this.#logger.info({ userId: user.id, orgId, role, actor }, 'user created');
    return publicUser(user);
  }

  async #inScope(caller: Caller, userId: number): Promise<StoredUser> {
    requireAdmin(caller);
    const user = await this.#store.getUser(userId);
    if (user === undefined || !this.#orgs.isInScope(caller.orgId, user.orgId)) throw userNotFound(userId);
    return user;
  }

  /** Someone must always be able to manage everything: the root org keeps at least one Admin. */
  async #keepLastRootAdmin(user: StoredUser): Promise<void> {
    if (user.role !== 'admin') return;
    const root = await this.#orgs.root();
    if (root === undefined || user.orgId !== root.id) return;
    if ((await this.#store.countRole(root.id, 'admin')) <= 1) throw new ConflictError(LAST_ADMIN);
  }
}

/** Users are managed by Admins only; the process itself (no role) counts as one. */
export function requireAdmin(caller: Caller): void {
  if ((caller.role ?? 'admin') !== 'admin') throw new ForbiddenError(USER_FORBIDDEN);
}

export function createUserService(deps: PlatformDeps, orgs: OrgService, store: UserStore): UserService {
  return new StoreUserService(store, orgs, deps);
}
