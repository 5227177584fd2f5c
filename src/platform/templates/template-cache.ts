import type { Template } from '../model.js';
import { isTemplateId } from './template-id.js';

/**
 * Every template by numeric id and by Template ID, for the lookups the device API makes per
 * message. Entries are deep-frozen so no caller can change the cache by accident.
 */
export class TemplateCache {
  readonly #ids = new Map<number, Template>();
  readonly #templateIds = new Map<string, Template>();

  put(template: Template): Template {
    const frozen = deepFreeze(template);
    this.#ids.set(frozen.id, frozen);
    this.#templateIds.set(frozen.templateId, frozen);
    return frozen;
  }

  remove(template: Template): void {
    this.#ids.delete(template.id);
    this.#templateIds.delete(template.templateId);
  }

  clear(): void {
    this.#ids.clear();
    this.#templateIds.clear();
  }

  byId(id: number): Template | undefined {
    return this.#ids.get(id);
  }

  byTemplateId(templateId: string): Template | undefined {
    return this.#templateIds.get(templateId);
  }

  /** A numeric id, a `TMPL…` id, or a numeric id as text (HTTP query parameters). */
  resolve(id: number | string): Template | undefined {
    if (typeof id === 'number') return this.#ids.get(id);
    if (isTemplateId(id)) return this.#templateIds.get(id);
    return /^\d{1,15}$/.test(id) ? this.#ids.get(Number(id)) : undefined;
  }

  /** Ordered by id. */
  all(): Template[] {
    return [...this.#ids.values()].sort((a, b) => a.id - b.id);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
