import type { TestContext } from 'node:test';
import type { PlatformOptions } from '../../../../src/config/platform-options.js';
import type { Organization } from '../../../../src/platform/model.js';
import type { Platform } from '../../../../src/platform/platform.js';
import type { Caller, DatastreamInput } from '../../../../src/platform/services.js';
import { FakeClock } from '../../../helpers/channel-harness.js';
import { callerFor, openTestPlatform } from '../../../helpers/platform.js';

/**
 * A platform with an org tree for template tests:
 *
 *   root ─┬─ a ── a1
 *         └─ b
 */
export interface TemplateWorld {
  readonly platform: Platform;
  readonly clock: FakeClock;
  readonly root: Organization;
  readonly a: Organization;
  readonly a1: Organization;
  readonly b: Organization;
  readonly as: (org: Organization) => Caller;
}

export async function templateWorld(
  t: TestContext,
  overrides: { options?: Partial<PlatformOptions>; file?: string } = {},
): Promise<TemplateWorld> {
  const clock = new FakeClock();
  const platform = await openTestPlatform(t, { ...overrides, clock });
  const root = await platform.orgs.createRoot({ name: 'Root Org' });
  const a = await platform.orgs.create(callerFor(root.id), { name: 'Branch A' });
  const a1 = await platform.orgs.create(callerFor(a.id), { name: 'Branch A One' });
  const b = await platform.orgs.create(callerFor(root.id), { name: 'Branch B' });
  return { platform, clock, root, a, a1, b, as: (org) => callerFor(org.id) };
}

export const integerStream = (
  name: string,
  pin: number,
  extra: Partial<DatastreamInput> = {},
): DatastreamInput => ({
  name,
  pin,
  type: 'Integer',
  isSync: false,
  isRaw: false,
  ...extra,
});
