import type { Device, OAuthClient, Template } from '../../src/platform/model.js';
import type { Platform } from '../../src/platform/platform.js';
import { callerFor } from './platform.js';

/** Where a gateway target sits relative to the gateway's scope org `scope` (spec §2.2/§2.3). */
export const TargetKind = {
  Same: 'same org',
  Child: 'child org',
  Descendant: 'sub-sub org',
  Parent: 'parent org',
  Sibling: 'sibling org',
  OtherTree: 'other tree',
  Unknown: 'unknown token',
  Deleted: 'deleted device',
  Malformed: 'malformed token',
} as const;
export type TargetKind = (typeof TargetKind)[keyof typeof TargetKind];

/** Targets the gateway may reach. */
export const REACHABLE: ReadonlySet<TargetKind> = new Set([
  TargetKind.Same,
  TargetKind.Child,
  TargetKind.Descendant,
]);

export interface WorldDevice {
  readonly device: Device;
  readonly token: string;
}

/**
 * An org tree for gateway scope tests, built through the platform services:
 *
 *   root (= parent) ─┬─ scope ── child ── grandchild
 *                    ├─ sibling
 *                    └─ otherBranch ── other
 *
 * (four levels: the default organization depth limit).
 * The gateway logins (an OAuth client and a `mgmt_device` gateway device) live in `scope`; one
 * target device per org, plus an unknown, a deleted and a malformed token.
 */
export interface GatewayWorld {
  readonly orgs: Record<
    'root' | 'scope' | 'child' | 'grandchild' | 'sibling' | 'otherBranch' | 'other',
    number
  >;
  /** Gateway-enabled template (inherited from root) with Power, Temperature, Label; event `alarm`; meta `Serial`. */
  readonly template: Template;
  readonly oauth: { readonly client: OAuthClient; readonly secret: string };
  readonly gateway: WorldDevice;
  /** Target tokens by kind (`Unknown`, `Deleted`, `Malformed` have no device). */
  readonly tokens: Record<TargetKind, string>;
  readonly targets: Partial<Record<TargetKind, WorldDevice>>;
}

/** A token-shaped string no device has (32 URL-safe characters). */
export const UNKNOWN_TOKEN = 'UnknownUnknownUnknownUnknown0123';

export async function buildGatewayWorld(platform: Platform, rootOrgId?: number): Promise<GatewayWorld> {
  const root = rootOrgId ?? (await platform.orgs.createRoot({ name: 'Root' })).id;
  const org = async (name: string, parent: number) =>
    (await platform.orgs.create(callerFor(root), { name, parentOrganizationId: parent })).id;
  const scope = await org('Scope', root);
  const child = await org('Child', scope);
  const grandchild = await org('Grandchild', child);
  const sibling = await org('Sibling', root);
  const otherBranch = await org('Other branch', root);
  const other = await org('Other', otherBranch);
  const template = await platform.templates.create(callerFor(root), {
    name: 'Gateway thing',
    gatewayEnabled: true,
    datastreams: [
      { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 100, isSync: true, isRaw: true },
      { name: 'Temperature', pin: 2, type: 'Double', isSync: true, isRaw: true },
      { name: 'Label', pin: 3, type: 'String', isSync: false, isRaw: false },
    ],
    events: [{ code: 'alarm', name: 'Alarm' }],
    metaFields: [{ name: 'Serial', type: 'Text', defaultValue: 'none' }],
  });
  const device = async (name: string, orgId: number): Promise<WorldDevice> =>
    platform.devices.create(callerFor(root), { templateId: template.id, name, orgId });
  const targets: Partial<Record<TargetKind, WorldDevice>> = {
    [TargetKind.Same]: await device('same', scope),
    [TargetKind.Child]: await device('child', child),
    [TargetKind.Descendant]: await device('grandchild', grandchild),
    [TargetKind.Parent]: await device('parent', root),
    [TargetKind.Sibling]: await device('sibling', sibling),
    [TargetKind.OtherTree]: await device('other', other),
  };
  const deleted = await device('deleted', scope);
  await platform.devices.delete(callerFor(root), deleted.device.id);
  const tokens = {
    ...(Object.fromEntries(Object.entries(targets).map(([kind, t]) => [kind, t.token])) as Record<
      TargetKind,
      string
    >),
    [TargetKind.Unknown]: UNKNOWN_TOKEN,
    [TargetKind.Deleted]: deleted.token,
    [TargetKind.Malformed]: 'not-a-token',
  };
  return {
    orgs: { root, scope, child, grandchild, sibling, otherBranch, other },
    template,
    oauth: await platform.oauth.createClient(callerFor(root), { name: 'gateway client', orgId: scope }),
    gateway: await device('gateway', scope),
    tokens,
    targets,
  };
}

/** The template's datastream id by name. */
export function datastreamId(template: Template, name: string): number {
  const ds = template.datastreams.find((d) => d.name === name);
  if (ds === undefined) throw new Error(`no datastream ${name}`);
  return ds.id;
}
