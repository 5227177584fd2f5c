import type { Datastream, DatastreamType, Device, Template } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { Caller, TemplateInput } from '../platform/services.js';
import { allPages, LIST_PAGE_SIZE as PAGE } from './manage-api.js';

export const DEMO_TEMPLATE_NAME = 'Demo Template';
export const DEMO_DEVICE_NAMES = ['Demo Device 1', 'Demo Device 2', 'Demo Device 3'] as const;
export const DEMO_FILE = 'demo.json';

/** One datastream of each type, a couple of events and a custom metadata field. */
export const DEMO_TEMPLATE: TemplateInput = {
  name: DEMO_TEMPLATE_NAME,
  description: 'Created by devgate start --demo',
  boardType: 'ESP32',
  connectionType: 'WI_FI',
  gatewayEnabled: true,
  datastreams: [
    {
      name: 'Temperature',
      pin: 0,
      type: 'Double',
      min: -40,
      max: 125,
      units: '°C',
      decimals: 1,
      isSync: true,
      isRaw: true,
    },
    { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 1, defaultValue: 0, isSync: true, isRaw: false },
    {
      name: 'Set Temperature',
      pin: 2,
      type: 'Double',
      min: 10,
      max: 30,
      defaultValue: 21,
      units: '°C',
      isSync: true,
      isRaw: false,
    },
    {
      name: 'Mode',
      pin: 3,
      type: 'Enum',
      enumValues: [
        { value: 0, label: 'Off' },
        { value: 1, label: 'Heat' },
        { value: 2, label: 'Cool' },
      ],
      enumFallback: 0,
      isSync: true,
      isRaw: false,
    },
    { name: 'Message', pin: 4, type: 'String', isSync: false, isRaw: false },
    { name: 'Location', pin: 5, type: 'Location', isSync: false, isRaw: false },
    { name: 'Online', pin: 6, type: 'Boolean', isSync: false, isRaw: false },
  ],
  events: [
    { code: 'overheat', name: 'Overheat', type: 'WARNING', description: 'Temperature above the safe range' },
    { code: 'door_open', name: 'Door open', type: 'INFORMATION', description: 'The enclosure was opened' },
  ],
  metaFields: [{ name: 'Serial Number', type: 'Text', defaultValue: '' }],
};

export interface DemoDatastream {
  readonly id: number;
  readonly name: string;
  readonly pin: number;
  readonly type: DatastreamType;
}

/** What `<data-dir>/demo.json` holds (plus the commands, added when printed). */
export interface DemoData {
  readonly templateId: string;
  readonly datastreams: readonly DemoDatastream[];
  readonly devices: ReadonlyArray<{ readonly id: number; readonly name: string; readonly token: string }>;
}

async function demoTemplate(
  platform: Pick<Platform, 'templates'>,
  caller: Caller,
): Promise<{ template: Template; created: boolean }> {
  const templates = await allPages((page) => platform.templates.list(caller, { page, size: PAGE }));
  const found = templates.find((t) => t.orgId === caller.orgId && t.name === DEMO_TEMPLATE_NAME);
  if (found !== undefined) return { template: found, created: false };
  return {
    template: await platform.templates.create(caller, { ...DEMO_TEMPLATE, orgId: caller.orgId }),
    created: true,
  };
}

async function demoDevice(
  platform: Pick<Platform, 'devices'>,
  caller: Caller,
  existing: readonly Device[],
  template: Template,
  name: string,
): Promise<{ device: DemoData['devices'][number]; created: boolean }> {
  const found = existing.find((d) => d.templateId === template.id && d.name === name);
  if (found !== undefined) {
    const token = await platform.devices.revealToken(caller, found.id);
    return { device: { id: found.id, name, token }, created: false };
  }
  const { device, token } = await platform.devices.create(caller, {
    templateId: template.id,
    name,
    orgId: caller.orgId,
  });
  return { device: { id: device.id, name, token }, created: true };
}

/**
 * Creates the demo template and its three devices in the caller's org, once: later runs find
 * them by name and return them again (with their current tokens).
 */
export async function ensureDemo(
  platform: Pick<Platform, 'templates' | 'devices'>,
  caller: Caller,
): Promise<DemoData> {
  return (await ensureDemoStatus(platform, caller)).demo;
}

/** ensureDemo, also telling whether anything (template or a device) was created by this call. */
export async function ensureDemoStatus(
  platform: Pick<Platform, 'templates' | 'devices'>,
  caller: Caller,
): Promise<{ demo: DemoData; created: boolean }> {
  const { template, created: templateCreated } = await demoTemplate(platform, caller);
  let created = templateCreated;
  const existing = await allPages((page) =>
    platform.devices.list(caller, { orgId: caller.orgId, includeSubOrgDevices: false, page, size: PAGE }),
  );
  const devices = [];
  for (const name of DEMO_DEVICE_NAMES) {
    const result = await demoDevice(platform, caller, existing, template, name);
    devices.push(result.device);
    created ||= result.created;
  }
  const datastreams = template.datastreams.map((ds: Datastream) => ({
    id: ds.id,
    name: ds.name,
    pin: ds.pin,
    type: ds.type,
  }));
  return { demo: { templateId: template.templateId, datastreams, devices }, created };
}
