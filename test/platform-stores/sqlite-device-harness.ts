import { createOrgService } from '../../src/platform/orgs/org-service.js';
import { openSqliteDeviceStores } from '../../src/platform/sqlite/open-device-stores.js';
import { createTemplateService } from '../../src/platform/templates/template-service.js';
import { openPlatformDeps } from '../helpers/platform.js';
import type { OpenDeviceStores } from './device-store-fixture.js';

/**
 * The device stores on a fresh in-memory platform database (every migration applied). The orgs
 * and templates they reference are made through the real services, so the harness does not
 * depend on those tables' columns.
 */
export const openSqliteDeviceFixture: OpenDeviceStores = async (t) => {
  const deps = openPlatformDeps(t);
  const { db } = deps;
  const orgs = await createOrgService(deps, deps.stores.orgs);
  const root = await orgs.createRoot({ name: 'Root' });
  const system = { orgId: root.id, actor: 'test' };
  const a = await orgs.create(system, { name: 'Org A' });
  const b = await orgs.create(system, { name: 'Org B' });
  const templates = await createTemplateService(deps, orgs, deps.stores.templates);
  const first = await templates.create(system, { name: 'Sensor' });
  const second = await templates.create(system, { name: 'Relay' });
  return {
    stores: openSqliteDeviceStores(db, deps.tokenKey),
    orgIds: [root.id, a.id, b.id],
    templateIds: [first.id, second.id],
  };
};
