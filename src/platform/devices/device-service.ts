import type { PlatformDeps } from '../platform.js';
import type { DeviceService, OrgService, TemplateService } from '../services.js';
import { createDeviceContext } from './device-context.js';
import { deviceCredentials } from './device-credentials.js';
import { deviceCrud } from './device-crud.js';
import { deviceData } from './device-data.js';
import { DeviceFeed } from './device-feed.js';
import type { DeviceStores } from './device-stores.js';
import { staticTokens } from './static-tokens.js';
import { defaultTokenCacheSize, TokenCache } from './token-cache.js';

export interface DeviceServiceOptions {
  /** Where devices, tokens, values, attributes and events are kept. */
  readonly stores: DeviceStores;
  /** Token cache bound (default 100 000). */
  readonly tokenCacheSize?: number;
  /** Where accepted changes are published (a private one when absent). */
  readonly feed?: DeviceFeed;
}

/** The DeviceService (src/platform/services.ts), assembled from its parts. */
export function createDeviceService(
  deps: PlatformDeps,
  orgs: OrgService,
  templates: TemplateService,
  options: DeviceServiceOptions,
): DeviceService {
  const cache = new TokenCache(options.tokenCacheSize ?? defaultTokenCacheSize);
  return assemble(deps, orgs, templates, options, cache);
}

function assemble(
  deps: PlatformDeps,
  orgs: OrgService,
  templates: TemplateService,
  options: DeviceServiceOptions,
  cache: TokenCache,
): DeviceService {
  const feed = options.feed ?? new DeviceFeed();
  const ctx = createDeviceContext(deps, orgs, templates, options.stores, cache, feed);
  return { ...deviceCrud(ctx), ...deviceCredentials(ctx), ...staticTokens(ctx), ...deviceData(ctx) };
}

/**
 * The DeviceService with its login cache filled from the store first (the most recently connected
 * devices, up to the cache's size): after a restart, logins and gateway uplinks of known devices
 * find them in memory instead of paying a store read each, one after another.
 */
export async function openDeviceService(
  deps: PlatformDeps,
  orgs: OrgService,
  templates: TemplateService,
  options: DeviceServiceOptions,
): Promise<DeviceService> {
  const size = options.tokenCacheSize ?? defaultTokenCacheSize;
  const cache = new TokenCache(size);
  for (const { tokenHash, device } of (await options.stores.devices.warmest(size)).reverse()) {
    cache.set(tokenHash, device); // the warmest last: the LRU evicts the coldest first
  }
  return assemble(deps, orgs, templates, options, cache);
}
