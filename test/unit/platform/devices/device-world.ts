import type { TestContext } from 'node:test';
import type { PlatformOptions } from '../../../../src/config/platform-options.js';
import type { Organization, Template } from '../../../../src/platform/model.js';
import type { Platform } from '../../../../src/platform/platform.js';
import type { Caller } from '../../../../src/platform/services.js';
import { FakeClock } from '../../../helpers/channel-harness.js';
import { callerFor, openTestPlatform } from '../../../helpers/platform.js';

/**
 * A small org tree for scope tests (depth 4):
 *
 *   root ─┬─ a ── a1 ── a1x
 *         └─ b ── b1
 *
 * `shared` is a root template (inherited everywhere); `bOnly` belongs to b (seen from b, b1, root).
 */
export interface DeviceWorld {
  readonly platform: Platform;
  readonly clock: FakeClock;
  readonly orgs: Record<'root' | 'a' | 'a1' | 'a1x' | 'b' | 'b1', Organization>;
  readonly shared: Template;
  readonly bOnly: Template;
  readonly as: (org: Organization) => Caller;
}

export async function openDeviceWorld(
  t: TestContext,
  overrides: { options?: Partial<PlatformOptions>; file?: string } = {},
): Promise<DeviceWorld> {
  const clock = new FakeClock();
  const platform = await openTestPlatform(t, { ...overrides, clock });
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const sub = (parent: Organization, name: string) =>
    platform.orgs.create(callerFor(root.id), { name, parentOrganizationId: parent.id });
  const a = await sub(root, 'Org A');
  const a1 = await sub(a, 'Org A1');
  const a1x = await sub(a1, 'Org A1x');
  const b = await sub(root, 'Org B');
  const b1 = await sub(b, 'Org B1');
  const shared = await platform.templates.create(callerFor(root.id), {
    name: 'Thermostat',
    datastreams: [
      { name: 'Temperature', pin: 1, type: 'Double', isSync: true, isRaw: true },
      { name: 'Label', pin: 2, type: 'String', isSync: false, isRaw: false },
    ],
    events: [{ code: 'overheat', name: 'Overheat' }],
    metaFields: [
      { name: 'Serial', type: 'Text', defaultValue: 'none' },
      { name: 'Floor', type: 'Number', min: -5, max: 100 },
      { name: 'Mode', type: 'List', options: ['eco', 'comfort'], defaultValue: 'eco' },
    ],
  });
  const bOnly = await platform.templates.create(callerFor(b.id), { name: 'B Gadget' });
  return {
    platform,
    clock,
    orgs: { root, a, a1, a1x, b, b1 },
    shared,
    bOnly,
    as: (org) => callerFor(org.id),
  };
}

/** The id of a template field by name. */
export function fieldId(
  template: Template,
  kind: 'datastreams' | 'events' | 'metaFields',
  name: string,
): number {
  const list: ReadonlyArray<{ id: number; name: string }> = template[kind];
  const found = list.find((x) => x.name === name);
  if (found === undefined) throw new Error(`no ${kind} entry named ${name}`);
  return found.id;
}
