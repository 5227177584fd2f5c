import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { PlatformOptions } from '../config/platform-options.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { createDeviceService } from './devices/device-service.js';
import { createOAuthService } from './oauth/oauth-service.js';
import { createOrgService } from './orgs/org-service.js';
import type { DeviceService, OAuthService, OrgService, TemplateService } from './services.js';
import { openPlatformDatabase } from './sqlite/database.js';
import { openSqliteDeviceStores } from './sqlite/open-device-stores.js';
import { createTemplateService } from './templates/template-service.js';

/** Everything a service factory may need. */
export interface PlatformDeps {
  readonly db: Database;
  readonly options: PlatformOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  /** 32-byte key that encrypts device tokens at rest (`<data-dir>/secret.key`). */
  readonly tokenKey: Buffer;
}

/** The domain services the device API, gateway API, HTTP API and CLI call. */
export interface Platform {
  readonly orgs: OrgService;
  readonly oauth: OAuthService;
  readonly templates: TemplateService;
  readonly devices: DeviceService;
  close(): void;
}

export interface OpenPlatformOptions {
  /** SQLite file, or ':memory:' */
  readonly file: string;
  readonly options: PlatformOptions;
  readonly logger: Logger;
  readonly tokenKey: Buffer;
  readonly clock?: Clock;
}

/** Opens the platform database and wires the services on it. */
export async function openPlatform(open: OpenPlatformOptions): Promise<Platform> {
  const db = openPlatformDatabase(open.file, { logger: open.logger, tokenKey: open.tokenKey });
  const deps: PlatformDeps = {
    db,
    options: open.options,
    clock: open.clock ?? systemClock,
    logger: open.logger,
    tokenKey: open.tokenKey,
  };
  try {
    const orgs = await createOrgService(deps);
    const oauth = createOAuthService(deps, orgs);
    const templates = await createTemplateService(deps, orgs);
    const stores = openSqliteDeviceStores(db, open.tokenKey);
    const devices = createDeviceService(deps, orgs, templates, { stores });
    const close = () => {
      void stores.values.flush(); // queued value writes are group-committed: none is left behind (made async with the platform seam)
      db.close();
    };
    return { orgs, oauth, templates, devices, close };
  } catch (err) {
    db.close();
    throw err;
  }
}
