import type { TestContext } from 'node:test';
import type { PlatformOptions } from '../../../../src/config/platform-options.js';
import type { Clock } from '../../../../src/lib/clock.js';
import { createOAuthService } from '../../../../src/platform/oauth/oauth-service.js';
import { createOrgService } from '../../../../src/platform/orgs/org-service.js';
import type { Caller, OrgService } from '../../../../src/platform/services.js';
import { openPlatformDeps } from '../../../helpers/platform.js';

/**
 * The org and OAuth services built directly on a real in-memory platform database, with the
 * database handle at hand for checks on what is stored. Closed after the test.
 */
export async function openOrgsAndOAuth(
  t: TestContext,
  overrides: { options?: Partial<PlatformOptions>; clock?: Clock; file?: string } = {},
) {
  const deps = openPlatformDeps(t, overrides);
  const { db } = deps;
  const orgs = await createOrgService(deps, deps.stores.orgs);
  const oauth = createOAuthService(deps, orgs, deps.stores.oauth);
  return { db, deps, orgs, oauth };
}

export function as(orgId: number): Caller {
  return { orgId, actor: 'test' };
}

/**
 * root ─┬─ a ── a1 ── a11
 *       └─ b ── b1
 */
export async function buildTree(orgs: OrgService) {
  const root = await orgs.createRoot({ name: 'Root Org' });
  const a = await orgs.create(as(root.id), { name: 'Alpha' });
  const a1 = await orgs.create(as(a.id), { name: 'Alpha One' });
  const a11 = await orgs.create(as(a1.id), { name: 'Alpha One One' });
  const b = await orgs.create(as(root.id), { name: 'Beta' });
  const b1 = await orgs.create(as(b.id), { name: 'Beta One' });
  return { root: root.id, a: a.id, a1: a1.id, a11: a11.id, b: b.id, b1: b1.id };
}
