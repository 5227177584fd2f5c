import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { ChangeFollower } from '../changes/change-feed.js';
import type { PlatformChange } from '../changes/platform-change.js';
import { ConflictError, ForbiddenError, ValidationError } from '../errors.js';
import { type Organization, OrgType } from '../model.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgInput, OrgService, PageRequest } from '../services.js';
import type { NewOrganization, OrgStore } from './org-store.js';
import { OrgTree } from './org-tree.js';
import { type OrgPatch, planUpdate } from './org-update.js';
import {
  checkDepth,
  checkTypeUnderParent,
  orgNotFound,
  validateOrgFields,
  validateOrgName,
  validateOrgType,
} from './org-validation.js';
import { pageBounds } from './paging.js';

/** Organizations (spec §5.1) on `store`; loads the tree into memory first. */
export async function createOrgService(
  deps: PlatformDeps,
  store: OrgStore,
): Promise<OrgService & ChangeFollower> {
  return new StoredOrgService(store, new OrgTree(await store.loadNodes()), deps);
}

/**
 * Validation, the depth limit, the delete refusals and THE scoping rule (spec §5.1, §2.2), the
 * latter served from an in-memory tree that every change updates. Changes run one at a time so
 * the tree and the store never disagree; a change committed by another process (the change feed)
 * reloads the tree, in the same queue.
 */
class StoredOrgService implements OrgService, ChangeFollower {
  readonly #store: OrgStore;
  readonly #tree: OrgTree;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #depthLimit: number;
  #rootId: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: OrgStore, tree: OrgTree, deps: PlatformDeps) {
    this.#store = store;
    this.#tree = tree;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#depthLimit = deps.options.orgDepthLimit;
    this.#rootId = tree.root();
  }

  createRoot(input: OrgInput): Promise<Organization> {
    return this.#serial(async () => {
      if (this.#rootId !== undefined) throw new ConflictError('The root organization already exists.');
      if (input.type !== undefined && input.type !== OrgType.Root) {
        throw new ValidationError('The root organization has type ROOT.');
      }
      const fields = this.#newFields(input, { tz: 'UTC', unitSystem: 'METRIC' });
      const stored = await this.#insert(
        { ...fields, type: OrgType.Root, parentOrganizationId: null },
        'system',
      );
      this.#rootId = stored.id;
      return stored;
    });
  }

  async root(): Promise<Organization | undefined> {
    return this.#rootId === undefined ? undefined : this.#store.get(this.#rootId);
  }

  create(
    caller: Caller,
    input: OrgInput & { readonly parentOrganizationId?: number },
  ): Promise<Organization> {
    return this.#serial(async () => {
      const parentId = input.parentOrganizationId ?? caller.orgId;
      const parent = await this.#inScope(caller, parentId);
      // spec §5.1: the child of a PERSONAL org is PERSONAL (and defaults to it).
      const type = validateOrgType(
        input.type ?? (parent.type === OrgType.Personal ? OrgType.Personal : OrgType.Business),
      );
      const fields = this.#newFields(input, parent);
      checkTypeUnderParent(type, parent.type);
      checkDepth(this.#tree.depth(parentId) + 1, this.#depthLimit);
      return this.#insert({ ...fields, type, parentOrganizationId: parentId }, caller.actor);
    });
  }

  get(caller: Caller, orgId: number): Promise<Organization> {
    return this.#inScope(caller, orgId);
  }

  async list(caller: Caller, page?: PageRequest) {
    return this.#store.list({ ids: this.#tree.subtree(caller.orgId), ...pageBounds(page) });
  }

  async search(caller: Caller, query: string, page?: PageRequest) {
    const nameContains = String(query).trim();
    return this.#store.list({ ids: this.#tree.subtree(caller.orgId), nameContains, ...pageBounds(page) });
  }

  update(caller: Caller, orgId: number, patch: OrgPatch): Promise<Organization> {
    return this.#serial(async () => {
      const current = await this.#inScope(caller, orgId);
      const context = { tree: this.#tree, caller, current, patch, depthLimit: this.#depthLimit };
      const plan = planUpdate({ ...context, rootId: this.#rootId });
      const next = await this.#store.replace({ ...plan.org, lastModifiedTs: this.#clock.now() });
      if (next === undefined) throw orgNotFound(orgId);
      if (plan.newParentId !== undefined) this.#tree.move(orgId, plan.newParentId);
      this.#tree.setType(orgId, next.type);
      this.#logger.info(
        { orgId, parentOrgId: next.parentOrganizationId, actor: caller.actor },
        'organization updated',
      );
      return next;
    });
  }

  delete(caller: Caller, orgId: number): Promise<void> {
    return this.#serial(async () => {
      await this.#inScope(caller, orgId);
      // spec §5.1: never the caller's own org, the root, or an org with sub-orgs or devices.
      if (orgId === caller.orgId) throw new ForbiddenError('An organization cannot delete itself.');
      if (orgId === this.#rootId) throw new ForbiddenError('The root organization cannot be deleted.');
      if (this.#tree.children(orgId).length > 0) {
        throw new ConflictError('An organization with sub-organizations cannot be deleted.');
      }
      if (await this.#store.hasDevices(orgId)) {
        throw new ConflictError('An organization with devices cannot be deleted.');
      }
      await this.#store.delete(orgId);
      this.#tree.remove(orgId);
      this.#logger.info({ orgId, actor: caller.actor }, 'organization deleted');
    });
  }

  /** Any org change, here or in another process, reloads the tree: ids alone cannot say how it moved. */
  follow(change: PlatformChange): Promise<void> | undefined {
    if (change.kind !== 'org' && change.kind !== 'resync') return undefined;
    return this.#serial(async () => {
      this.#tree.reset(await this.#store.loadNodes());
      this.#rootId = this.#tree.root();
    });
  }

  isInScope(scopeOrgId: number, orgId: number): boolean {
    return this.#tree.isInScope(scopeOrgId, orgId);
  }

  subtree(orgId: number): readonly number[] {
    return this.#tree.subtree(orgId);
  }

  ancestry(orgId: number): readonly number[] {
    return this.#tree.ancestry(orgId);
  }

  /** Missing and out-of-scope orgs give the same NotFoundError (spec §6.4). */
  async #inScope(caller: Caller, id: number): Promise<Organization> {
    const org = this.#tree.isInScope(caller.orgId, id) ? await this.#store.get(id) : undefined;
    if (org === undefined) throw orgNotFound(id);
    return org;
  }

  /** The fields of a new org; tz and unit system default to the parent's. */
  #newFields(input: Partial<OrgInput>, defaults: Pick<Organization, 'tz' | 'unitSystem'>) {
    const fields = validateOrgFields(input);
    const now = this.#clock.now();
    return {
      description: '',
      tz: defaults.tz,
      unitSystem: defaults.unitSystem,
      ...fields,
      name: validateOrgName(input.name),
      isActive: true,
      createdAt: now,
      lastModifiedTs: now,
    };
  }

  async #insert(
    org: Omit<NewOrganization, 'type'> & { type: OrgType },
    actor: string,
  ): Promise<Organization> {
    const stored = await this.#store.insert(org);
    this.#tree.add({ id: stored.id, parentOrganizationId: stored.parentOrganizationId, type: stored.type });
    this.#logger.info(
      { orgId: stored.id, parentOrgId: stored.parentOrganizationId, actor },
      'organization created',
    );
    return stored;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
