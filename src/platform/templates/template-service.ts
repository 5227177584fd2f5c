import type { Logger } from 'pino';
import type { Clock } from '../../broker/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Page, Template } from '../model.js';
import type { PlatformOptions } from '../options.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgService, PageRequest, TemplateInput, TemplateService } from '../services.js';
import { createSqliteTemplateStore } from '../sqlite/template-store.js';
import { checkInteger, checkObject } from './field-checks.js';
import { checkTemplateId, generateTemplateId, isTemplateId } from './template-id.js';
import type { TemplateStore } from './template-store.js';
import { validateChildren, validateNewFields, validatePatchFields } from './template-validation.js';

const notFound = (id: number | string) => new NotFoundError(`Template with identifier ${id} is not found.`);

/** The TemplateService on the platform database (composition: src/platform/platform.ts). */
export async function createTemplateService(deps: PlatformDeps, orgs: OrgService): Promise<TemplateService> {
  return openTemplateService(createSqliteTemplateStore(deps.db), deps, orgs);
}

/**
 * The TemplateService on any TemplateStore. Every template is cached in memory (loaded here, kept
 * in step with each change) because the device API looks one up per message.
 */
export async function openTemplateService(
  store: TemplateStore,
  deps: { readonly options: PlatformOptions; readonly clock: Clock; readonly logger: Logger },
  orgs: OrgService,
): Promise<TemplateService> {
  const cache = new TemplateCache();
  for (const template of await store.loadAll()) cache.put(template);

  /** spec §5.2: templates are inherited down the tree, so a caller sees its subtree's and its ancestors'. */
  const visible = (caller: Caller, t: Template) =>
    orgs.isInScope(caller.orgId, t.orgId) || orgs.ancestry(caller.orgId).includes(t.orgId);

  const find = (caller: Caller, id: number | string): Template => {
    const template = cache.resolve(id);
    if (!template || !visible(caller, template)) throw notFound(id);
    return template;
  };

  /** Changes need the owner org in scope; an inherited template is read-only. */
  const findOwned = (caller: Caller, id: number | string): Template => {
    const template = find(caller, id);
    if (!orgs.isInScope(caller.orgId, template.orgId)) {
      throw new ForbiddenError(`Template with identifier ${id} is inherited from a parent organization and is read-only.`);
    }
    return template;
  };

  const freshTemplateId = (): string => {
    for (;;) {
      const id = generateTemplateId();
      if (!cache.byTemplateId(id)) return id;
    }
  };

  return {
    async create(caller, input: TemplateInput) {
      const body = checkObject(input, 'Template');
      const orgId = body.orgId === undefined ? caller.orgId : checkInteger(body.orgId, 'orgId', 1, Number.MAX_SAFE_INTEGER);
      if (!orgs.isInScope(caller.orgId, orgId)) throw new NotFoundError(`Organization with identifier ${orgId} is not found.`);
      const templateId = body.templateId === undefined ? freshTemplateId() : checkTemplateId(body.templateId);
      if (cache.byTemplateId(templateId)) throw new ConflictError(`Template ID ${templateId} is already in use.`);
      const fields = validateNewFields(body);
      const children = validateChildren(body, deps.options.maxDatastreamsPerTemplate, undefined);
      const created = await store.insert(
        {
          templateId,
          orgId,
          ...fields,
          datastreams: children.datastreams ?? [],
          events: children.events ?? [],
          metaFields: children.metaFields ?? [],
        },
        deps.clock.now(),
      );
      deps.logger.info({ templateId: created.id, orgId, actor: caller.actor }, 'template created');
      return cache.put(created);
    },

    async get(caller, id) {
      return find(caller, id);
    },

    async list(caller, page?: PageRequest) {
      const { offset, size } = paging(page);
      const all = cache.all().filter((t) => visible(caller, t));
      return { content: all.slice(offset, offset + size), totalElements: all.length } satisfies Page<Template>;
    },

    async update(caller, id, patch) {
      const current = findOwned(caller, id);
      const body = checkObject(patch, 'Template');
      const fields = validatePatchFields(body, current);
      const children = validateChildren(body, deps.options.maxDatastreamsPerTemplate, current);
      const updated = await store.update(current.id, fields, children, deps.clock.now());
      if (!updated) {
        cache.remove(current);
        throw notFound(id);
      }
      deps.logger.info({ templateId: current.id, actor: caller.actor }, 'template updated');
      return cache.put(updated);
    },

    async delete(caller, id) {
      const current = findOwned(caller, id);
      const result = await store.delete(current.id);
      if (result === 'in-use') throw new ConflictError(`Template with identifier ${id} is used by devices and cannot be deleted.`);
      cache.remove(current);
      if (result === 'not-found') throw notFound(id);
      deps.logger.info({ templateId: current.id, actor: caller.actor }, 'template deleted');
    },

    byId: (id) => cache.byId(id),
    byTemplateId: (templateId) => cache.byTemplateId(templateId),
  };
}

/** spec §6.4: `page` 0-based, `size` default 50, at most 1000. */
function paging(page: PageRequest | undefined): { offset: number; size: number } {
  const index = page?.page ?? 0;
  const size = page?.size ?? 50;
  if (!Number.isInteger(index) || index < 0) throw new ValidationError('page must be an integer of at least 0.');
  if (!Number.isInteger(size) || size < 1 || size > 1000) throw new ValidationError('size must be an integer from 1 to 1000.');
  return { offset: index * size, size };
}

/** Every template by numeric id and by Template ID; entries are frozen so callers cannot change the cache. */
class TemplateCache {
  private readonly ids = new Map<number, Template>();
  private readonly templateIds = new Map<string, Template>();

  put(template: Template): Template {
    const frozen = deepFreeze(template);
    this.ids.set(frozen.id, frozen);
    this.templateIds.set(frozen.templateId, frozen);
    return frozen;
  }

  remove(template: Template): void {
    this.ids.delete(template.id);
    this.templateIds.delete(template.templateId);
  }

  byId(id: number): Template | undefined {
    return this.ids.get(id);
  }

  byTemplateId(templateId: string): Template | undefined {
    return this.templateIds.get(templateId);
  }

  /** A numeric id, a `TMPL…` id, or a numeric id as text (HTTP query parameters). */
  resolve(id: number | string): Template | undefined {
    if (typeof id === 'number') return this.ids.get(id);
    if (isTemplateId(id)) return this.templateIds.get(id);
    return /^\d{1,15}$/.test(id) ? this.ids.get(Number(id)) : undefined;
  }

  /** Ordered by id. */
  all(): Template[] {
    return [...this.ids.values()].sort((a, b) => a.id - b.id);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
