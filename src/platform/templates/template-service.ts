import type { Logger } from 'pino';
import type { PlatformOptions } from '../../config/platform-options.js';
import type { Clock } from '../../lib/clock.js';
import type { ChangeFollower } from '../changes/change-feed.js';
import type { PlatformChange } from '../changes/platform-change.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Page, Template } from '../model.js';
import { pageBounds } from '../orgs/paging.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgService, PageRequest, TemplateInput, TemplateService } from '../services.js';
import { checkInteger, checkObject } from './field-checks.js';
import { TemplateCache } from './template-cache.js';
import { checkTemplateId, generateTemplateId } from './template-id.js';
import type { TemplateStore } from './template-store.js';
import { validateChildren, validateNewFields, validatePatchFields } from './template-validation.js';

export type TemplateServiceDeps = Pick<PlatformDeps, 'options' | 'clock' | 'logger'>;

/** The TemplateService on `store`; loads every template into the cache first. */
export async function createTemplateService(
  deps: TemplateServiceDeps,
  orgs: OrgService,
  store: TemplateStore,
): Promise<TemplateService & ChangeFollower> {
  const cache = new TemplateCache();
  for (const template of await store.loadAll()) cache.put(template);
  return new CachedTemplateService(store, cache, deps, orgs);
}

const notFound = (id: number | string) => new NotFoundError(`Template with identifier ${id} is not found.`);

/**
 * Templates (spec §5.2–§5.6): validation, scope and inheritance, served from a cache that every
 * change updates (the device API looks a template up per message). Changes run one at a time, so
 * each validates against the cache state it then writes over. A change committed anywhere (the
 * change feed) re-reads that template, in the same queue.
 */
class CachedTemplateService implements TemplateService, ChangeFollower {
  readonly #store: TemplateStore;
  readonly #cache: TemplateCache;
  readonly #orgs: OrgService;
  readonly #options: PlatformOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: TemplateStore, cache: TemplateCache, deps: TemplateServiceDeps, orgs: OrgService) {
    this.#store = store;
    this.#cache = cache;
    this.#orgs = orgs;
    this.#options = deps.options;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  create(caller: Caller, input: TemplateInput): Promise<Template> {
    return this.#serial(async () => {
      const body = checkObject(input, 'Template');
      const orgId =
        body.orgId === undefined
          ? caller.orgId
          : checkInteger(body.orgId, 'orgId', 1, Number.MAX_SAFE_INTEGER);
      if (!this.#orgs.isInScope(caller.orgId, orgId)) {
        throw new NotFoundError(`Organization with identifier ${orgId} is not found.`);
      }
      const templateId =
        body.templateId === undefined ? this.#freshTemplateId() : checkTemplateId(body.templateId);
      if (this.#cache.byTemplateId(templateId))
        throw new ConflictError(`Template ID ${templateId} is already in use.`);
      const fields = validateNewFields(body);
      const {
        datastreams = [],
        events = [],
        metaFields = [],
      } = validateChildren(body, this.#maxDatastreams, undefined);
      const created = await this.#store.insert(
        { templateId, orgId, ...fields, datastreams, events, metaFields },
        this.#clock.now(),
      );
      this.#logger.info({ templateId: created.id, orgId, actor: caller.actor }, 'template created');
      return this.#cache.put(created);
    });
  }

  async get(caller: Caller, id: number | string): Promise<Template> {
    return this.#find(caller, id);
  }

  async list(caller: Caller, page?: PageRequest): Promise<Page<Template>> {
    const { offset, limit } = pageBounds(page);
    const all = this.#cache.all().filter((t) => this.#visible(caller, t));
    return { content: all.slice(offset, offset + limit), totalElements: all.length };
  }

  update(caller: Caller, id: number | string, patch: Partial<TemplateInput>): Promise<Template> {
    return this.#serial(async () => {
      const current = this.#findOwned(caller, id);
      const body = checkObject(patch, 'Template');
      const fields = validatePatchFields(body, current);
      const children = validateChildren(body, this.#maxDatastreams, current);
      const updated = await this.#store.update(current.id, fields, children, this.#clock.now());
      if (!updated) {
        this.#cache.remove(current);
        throw notFound(id);
      }
      this.#logger.info({ templateId: current.id, actor: caller.actor }, 'template updated');
      return this.#cache.put(updated);
    });
  }

  delete(caller: Caller, id: number | string): Promise<void> {
    return this.#serial(async () => {
      const current = this.#findOwned(caller, id);
      const result = await this.#store.delete(current.id);
      if (result === 'in-use') {
        throw new ConflictError(`Template with identifier ${id} is used by devices and cannot be deleted.`);
      }
      this.#cache.remove(current);
      if (result === 'not-found') throw notFound(id);
      this.#logger.info({ templateId: current.id, actor: caller.actor }, 'template deleted');
    });
  }

  follow(change: PlatformChange): Promise<void> | undefined {
    if (change.kind === 'resync') {
      return this.#serial(async () => {
        const all = await this.#store.loadAll();
        this.#cache.clear();
        for (const template of all) this.#cache.put(template);
      });
    }
    if (change.kind !== 'template') return undefined;
    return this.#serial(async () => {
      const stored = await this.#store.get(change.id);
      const cached = this.#cache.byId(change.id);
      if (cached !== undefined) this.#cache.remove(cached);
      if (stored !== undefined) this.#cache.put(stored);
    });
  }

  byId(id: number): Template | undefined {
    return this.#cache.byId(id);
  }

  byTemplateId(templateId: string): Template | undefined {
    return this.#cache.byTemplateId(templateId);
  }

  get #maxDatastreams(): number {
    return this.#options.maxDatastreamsPerTemplate;
  }

  /** spec §5.2: templates are inherited down the tree, so a caller sees its subtree's and its ancestors'. */
  #visible(caller: Caller, template: Template): boolean {
    return (
      this.#orgs.isInScope(caller.orgId, template.orgId) ||
      this.#orgs.ancestry(caller.orgId).includes(template.orgId)
    );
  }

  /** Missing and invisible read the same (spec §6.4 404s). */
  #find(caller: Caller, id: number | string): Template {
    const template = this.#cache.resolve(id);
    if (!template || !this.#visible(caller, template)) throw notFound(id);
    return template;
  }

  /** Changes need the owner org in scope: an inherited template is read-only. */
  #findOwned(caller: Caller, id: number | string): Template {
    const template = this.#find(caller, id);
    if (!this.#orgs.isInScope(caller.orgId, template.orgId)) {
      throw new ForbiddenError(
        `Template with identifier ${id} is inherited from a parent organization and is read-only.`,
      );
    }
    return template;
  }

  #freshTemplateId(): string {
    for (;;) {
      const id = generateTemplateId();
      if (!this.#cache.byTemplateId(id)) return id;
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
