import type { Organization, OrgType, Page } from '../model.js';

/** An organization as the service hands it to the store: everything but the generated id. */
export type NewOrganization = Omit<Organization, 'id'>;

/** The tree shape the service keeps in memory (spec §5.1 scoping). */
export interface OrgNode {
  readonly id: number;
  readonly parentOrganizationId: number | null;
  readonly type: OrgType;
}

export interface OrgListQuery {
  /** Only these ids (the caller's scope). */
  readonly ids: readonly number[];
  /** Case-insensitive substring of the name, when given. */
  readonly nameContains?: string;
  readonly offset: number;
  readonly limit: number;
}

/**
 * Storage of organizations. Holds no rules: validation, scope and the delete refusals live in the
 * service. Implementations: SQLite (src/platform/sqlite/org-store.ts), PostgreSQL
 * (src/platform/postgres/pg-org-store.ts).
 */
export interface OrgStore {
  /** Every organization's place in the tree, for the in-memory copy. */
  loadNodes(): Promise<OrgNode[]>;
  get(id: number): Promise<Organization | undefined>;
  /** Inserts and returns the stored org (ids are never reused). ConflictError for a second root. */
  insert(org: NewOrganization): Promise<Organization>;
  /** Replaces every field of an existing org; undefined when it does not exist. */
  replace(org: Organization): Promise<Organization | undefined>;
  /**
   * Deletes one org (its users and OAuth clients go with it); false when it did not exist.
   * ConflictError while sub-orgs, templates or devices still reference it.
   */
  delete(id: number): Promise<boolean>;
  /** Orgs among `ids` (optionally matching a name), ordered by id, one page of them. */
  list(query: OrgListQuery): Promise<Page<Organization>>;
  /** Whether any device belongs to the org. */
  hasDevices(id: number): Promise<boolean>;
}
