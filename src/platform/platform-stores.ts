import type { DeviceStores } from './devices/device-stores.js';
import type { OAuthStore } from './oauth/oauth-store.js';
import type { OrgStore } from './orgs/org-store.js';
import type { TemplateStore } from './templates/template-store.js';
import type { UserStore } from './users/user-store.js';

/** Which engine keeps the platform's records. */
export type StorageBackendKind = 'sqlite' | 'postgres';

/**
 * Every store the platform services persist through, on one backend. The composition root opens
 * one (src/platform/sqlite/open-sqlite-platform.ts or src/platform/postgres/open-postgres-platform.ts)
 * and hands it to `openPlatform`; no service picks a backend itself.
 */
export interface PlatformStores {
  readonly kind: StorageBackendKind;
  readonly orgs: OrgStore;
  readonly oauth: OAuthStore;
  readonly templates: TemplateStore;
  readonly devices: DeviceStores;
  /** Console users and their sessions. */
  readonly users: UserStore;
  /** Resolves when the database answers; rejects while it cannot (readiness, `/readyz`). */
  ping(): Promise<void>;
  /** Makes every accepted write durable, then closes the database. */
  close(): Promise<void>;
}
