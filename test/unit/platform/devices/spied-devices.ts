import type { TestContext } from 'node:test';
import { createDeviceService } from '../../../../src/platform/devices/device-service.js';
import { createOrgService } from '../../../../src/platform/orgs/org-service.js';
import type { Caller, DeviceService } from '../../../../src/platform/services.js';
import { openSqliteDeviceStores } from '../../../../src/platform/sqlite/open-device-stores.js';
import { createTemplateService } from '../../../../src/platform/templates/template-service.js';
import { openPlatformDeps } from '../../../helpers/platform.js';

export interface SpiedDevices {
  readonly devices: DeviceService;
  /** Token lookups that reached the store. */
  lookups(): number;
  /** Holds every store lookup's answer until the returned release is called. */
  holdLookups(): () => void;
  readonly caller: Caller;
  readonly templateId: number;
}

/**
 * A device service whose token lookups are counted (to see what the cache and the shape check
 * save), on real SQLite and real org/template services.
 */
export async function openSpiedDevices(t: TestContext, tokenCacheSize?: number): Promise<SpiedDevices> {
  const deps = openPlatformDeps(t);
  const { db } = deps;
  const orgs = await createOrgService(deps, deps.stores.orgs);
  const root = await orgs.createRoot({ name: 'Root' });
  const caller = { orgId: root.id, actor: 'test' };
  const templates = await createTemplateService(deps, orgs, deps.stores.templates);
  const template = await templates.create(caller, { name: 'T' });
  const stores = openSqliteDeviceStores(db, deps.tokenKey);
  let lookups = 0;
  let hold: Promise<void> | undefined;
  const byTokenHash = stores.devices.byTokenHash;
  const spied = {
    ...stores,
    devices: {
      ...stores.devices,
      byTokenHash: async (hash: string) => {
        lookups += 1;
        const device = await byTokenHash(hash);
        await hold;
        return device;
      },
    },
  };
  const holdLookups = () => {
    let release = () => {};
    hold = new Promise<void>((resolve) => {
      release = () => {
        hold = undefined;
        resolve();
      };
    });
    return release;
  };
  const devices = createDeviceService(deps, orgs, templates, {
    stores: spied,
    ...(tokenCacheSize === undefined ? {} : { tokenCacheSize }),
  });
  return { devices, lookups: () => lookups, holdLookups, caller, templateId: template.id };
}
