import type { Datastream, MetaField, Template, TemplateEvent } from '../model.js';

/** A child as the service hands it to the store: with `id` it keeps that identity, without one it is new. */
export type Draft<T extends { readonly id: number }> = Omit<T, 'id'> & { readonly id?: number };

export type DatastreamDraft = Draft<Datastream>;
export type TemplateEventDraft = Draft<TemplateEvent>;
export type MetaFieldDraft = Draft<MetaField>;

/** The template's own columns. */
export type TemplateFields = Pick<
  Template,
  | 'templateId'
  | 'orgId'
  | 'name'
  | 'description'
  | 'boardType'
  | 'connectionType'
  | 'gatewayEnabled'
  | 'offlineDelaySec'
>;

/** Full replacement lists; an absent list is left as it is. */
export interface TemplateChildren {
  readonly datastreams?: readonly DatastreamDraft[];
  readonly events?: readonly TemplateEventDraft[];
  readonly metaFields?: readonly MetaFieldDraft[];
}

export type NewTemplate = TemplateFields & Required<TemplateChildren>;

export type TemplateDeleteResult = 'deleted' | 'not-found' | 'in-use';

/**
 * Storage of templates with their datastreams, events and metadata fields (spec §5.2–§5.6). Holds
 * no rules: validation, uniqueness inside a template and scope live in the service, which passes
 * only valid, complete drafts. Children keep the order they are given in. Ids are never reused,
 * so values stored against a deleted datastream id can never attach to a new one.
 * Implementations: SQLite (src/platform/sqlite/template-store.ts), PostgreSQL
 * (src/platform/postgres/pg-template-store.ts).
 */
export interface TemplateStore {
  /** Every template, ordered by id (the service caches them all). */
  loadAll(): Promise<Template[]>;
  get(id: number): Promise<Template | undefined>;
  /** Inserts a template and its children (drafts' ids are ignored); ConflictError for a taken `templateId`. */
  insert(template: NewTemplate, at: number): Promise<Template>;
  /**
   * Replaces the given fields and child lists in one transaction: children with an id that belongs
   * to this template are updated in place, the others inserted with new ids, the missing deleted.
   * Undefined when the template does not exist.
   */
  update(
    id: number,
    fields: Partial<TemplateFields>,
    children: TemplateChildren,
    at: number,
  ): Promise<Template | undefined>;
  /** Deletes a template and its children unless a device uses it (checked in the same transaction). */
  delete(id: number): Promise<TemplateDeleteResult>;
}
