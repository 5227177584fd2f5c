import type { Logger } from 'pino';
import type { PlatformOptions } from '../config/platform-options.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { DeviceFeed } from './devices/device-feed.js';
import { openDeviceService } from './devices/device-service.js';
import { createOAuthService } from './oauth/oauth-service.js';
import { createOrgService } from './orgs/org-service.js';
import type { PlatformStores, StorageBackendKind } from './platform-stores.js';
import type { DeviceService, OAuthService, OrgService, TemplateService } from './services.js';
import { createTemplateService } from './templates/template-service.js';
import { createSessionService, type SessionService } from './users/session-service.js';
import { createUserService, type UserService } from './users/user-service.js';

/** Everything a service factory may need besides its store. */
export interface PlatformDeps {
  readonly options: PlatformOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  /** 32-byte key that encrypts device tokens at rest (`--secret-key-file`). */
  readonly tokenKey: Buffer;
}

/** The domain services the device API, gateway API, HTTP API and CLI call. */
export interface Platform {
  readonly orgs: OrgService;
  readonly oauth: OAuthService;
  readonly templates: TemplateService;
  readonly devices: DeviceService;
  /** Console users (decision 0024). */
  readonly users: UserService;
  /** Console sign-in sessions. */
  readonly sessions: SessionService;
  /** Per-device changes as the device service accepts them (the console's live stream). */
  readonly feed: DeviceFeed;
  readonly backend: StorageBackendKind;
  /** Resolves while the database answers; rejects while it cannot. */
  ping(): Promise<void>;
  /** Makes every accepted write durable and closes the stores. */
  close(): Promise<void>;
}

export interface OpenPlatformOptions {
  /** The stores, opened by the composition root on one backend; closed by `Platform.close`. */
  readonly stores: PlatformStores;
  readonly options: PlatformOptions;
  readonly logger: Logger;
  readonly tokenKey: Buffer;
  readonly clock?: Clock;
}

/** Wires the services on the stores (loading the org tree and the templates first). */
export async function openPlatform(open: OpenPlatformOptions): Promise<Platform> {
  const { stores } = open;
  const deps: PlatformDeps = {
    options: open.options,
    clock: open.clock ?? systemClock,
    logger: open.logger,
    tokenKey: open.tokenKey,
  };
  try {
    const orgs = await createOrgService(deps, stores.orgs);
    const oauth = createOAuthService(deps, orgs, stores.oauth);
    const templates = await createTemplateService(deps, orgs, stores.templates);
    const feed = new DeviceFeed((err) => deps.logger.error({ err }, 'device feed listener failed'));
    const devices = await openDeviceService(deps, orgs, templates, { stores: stores.devices, feed });
    return {
      orgs,
      oauth,
      templates,
      devices,
      users: createUserService(deps, orgs, stores.users),
      sessions: createSessionService(deps, orgs, stores.users),
      feed,
      backend: stores.kind,
      ping: () => stores.ping(),
      close: () => stores.close(),
    };
  } catch (err) {
    await stores.close();
    throw err;
  }
}
