import type { PlatformDeps } from '../platform.js';
import type { DeviceService, OrgService, TemplateService } from '../services.js';
import { createDeviceContext } from './device-context.js';
import { deviceCredentials } from './device-credentials.js';
import { deviceCrud } from './device-crud.js';
import { deviceData } from './device-data.js';
import type { DeviceStores } from './device-stores.js';
import { staticTokens } from './static-tokens.js';
import { defaultTokenCacheSize, TokenCache } from './token-cache.js';

export interface DeviceServiceOptions {
  /** Where devices, tokens, values, attributes and events are kept. */
  readonly stores: DeviceStores;
  /** Token cache bound (default 100 000). */
  readonly tokenCacheSize?: number;
}

/** The DeviceService (src/platform/services.ts), assembled from its parts. */
export function createDeviceService(
  deps: PlatformDeps,
  orgs: OrgService,
  templates: TemplateService,
  options: DeviceServiceOptions,
): DeviceService {
  const { stores } = options;
  const cache = new TokenCache(options.tokenCacheSize ?? defaultTokenCacheSize);
  const ctx = createDeviceContext(deps, orgs, templates, stores, cache);
  return { ...deviceCrud(ctx), ...deviceCredentials(ctx), ...staticTokens(ctx), ...deviceData(ctx) };
}
