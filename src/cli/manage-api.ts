import type { Device, OAuthClient, Organization, Role, Template, User } from '../platform/model.js';
import type { DeviceInput, OAuthClientInput, OrgInput, TemplateInput } from '../platform/services.js';
import type { UserInput } from '../platform/users/user-service.js';

/** A refused or failed management call; the message is the server's (or the service's) own. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status (404 not found, 400 bad input, 409 conflict, 401/403 credentials, 0 = no answer). */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type OrgCreate = OrgInput & { readonly parentOrganizationId?: number };
export type OrgPatch = Partial<OrgInput> & { readonly isActive?: boolean };

/**
 * The management operations the CLI and `devgate apply` use, with two implementations: over the
 * HTTP API of a running server (manage-http.ts) and directly on the data directory
 * (manage-offline.ts). Lists return every page.
 */
export interface ManagementApi {
  /** The organization the credentials act for (the scope of every call). */
  readonly orgId: number;
  /** For messages: `http://127.0.0.1:8080` or `data directory ./data`. */
  readonly target: string;
  readonly orgs: {
    list(): Promise<Organization[]>;
    get(id: number): Promise<Organization>;
    create(input: OrgCreate): Promise<Organization>;
    update(id: number, patch: OrgPatch): Promise<Organization>;
    delete(id: number): Promise<void>;
  };
  readonly templates: {
    list(): Promise<Template[]>;
    /** numeric id or `TMPL…` */
    get(id: number | string): Promise<Template>;
    create(input: TemplateInput): Promise<Template>;
    update(id: number | string, patch: Partial<TemplateInput>): Promise<Template>;
    delete(id: number | string): Promise<void>;
  };
  readonly devices: {
    list(query?: { orgId?: number; includeSubOrgDevices?: boolean }): Promise<Device[]>;
    get(id: number): Promise<Device>;
    create(input: DeviceInput): Promise<{ device: Device; token: string }>;
    update(id: number, patch: { name?: string }): Promise<Device>;
    token(id: number): Promise<string>;
    rotateToken(id: number): Promise<string>;
    delete(id: number): Promise<void>;
  };
  readonly oauthClients: {
    list(): Promise<OAuthClient[]>;
    create(input: OAuthClientInput): Promise<{ client: OAuthClient; secret: string }>;
    setActive(id: number, isActive: boolean): Promise<OAuthClient>;
    delete(id: number): Promise<void>;
  };
  /** Console users (Admin only). */
  readonly users: {
    list(): Promise<User[]>;
    create(input: UserInput): Promise<User>;
    setRole(id: number, change: { role: Role; orgId?: number }): Promise<User>;
    setPassword(id: number, password: string): Promise<void>;
    delete(id: number): Promise<void>;
  };
  close(): Promise<void>;
}

/** Page size used to walk lists (the Platform API maximum, spec §6.4). */
export const LIST_PAGE_SIZE = 1000;

/** Collects every page of a paged list. */
export async function allPages<T>(
  fetchPage: (page: number) => Promise<{ content: readonly T[]; totalElements: number }>,
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 0; ; page += 1) {
    const result = await fetchPage(page);
    items.push(...result.content);
    if (result.content.length < LIST_PAGE_SIZE || items.length >= result.totalElements) return items;
  }
}
