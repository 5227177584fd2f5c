import { pino } from 'pino';
import { DeviceLimits } from '../../src/device-api/device-limits.js';
import {
  type DeviceApiOptions,
  type DeviceApiRuntime,
  defaultDeviceApiOptions,
} from '../../src/device-api/types.js';
import { createUplinkService } from '../../src/device-api/uplink-service.js';
import { createValueWriteService } from '../../src/device-api/value-write-service.js';
import type { Clock } from '../../src/lib/clock.js';
import { DeviceApiMetrics } from '../../src/observability/device-api-metrics.js';
import type { Device, HardwareInfo, Template } from '../../src/platform/model.js';
import type { Platform } from '../../src/platform/platform.js';
import type { FakeDeviceApi } from './fake-device-api.js';
import { callerFor } from './platform.js';

/**
 * A template and devices for the Device HTTPS API tests (spec §6.2): one datastream of every type
 * on pins v1–v7, an event, and custom metadata fields.
 */
export interface DeviceHttpWorld {
  readonly template: Template;
  readonly device: Device;
  /** The device's token (the credential of the Device HTTPS API). */
  readonly token: string;
  /** A second device of the same template; its data must never change through `token`. */
  readonly other: Device;
  readonly otherToken: string;
  /** A dynamic-provisioning device, still PENDING. */
  readonly pending: Device;
  readonly pendingToken: string;
  /** Datastream ids by name. */
  readonly ds: Readonly<Record<DatastreamName, number>>;
  /** Metadata field ids by name. */
  readonly meta: Readonly<Record<'Serial' | 'Floor' | 'Location' | 'Device Name', number>>;
}

export type DatastreamName = 'Temperature' | 'Label' | 'Position' | 'Power' | 'Relay' | 'Mode' | 'Set Point';

export const TEMPLATE_NAME = 'Sensor Kit';

/** Creates the template in `orgId` and the devices; needs only the platform services. */
export async function seedDeviceHttpWorld(platform: Platform, orgId: number): Promise<DeviceHttpWorld> {
  const caller = callerFor(orgId);
  const template = await platform.templates.create(caller, {
    name: TEMPLATE_NAME,
    datastreams: [
      { name: 'Temperature', pin: 1, type: 'Double', isSync: true, isRaw: true, defaultValue: 20 },
      { name: 'Label', pin: 2, type: 'String', isSync: false, isRaw: true },
      { name: 'Position', pin: 3, type: 'Location', isSync: false, isRaw: true },
      { name: 'Power', pin: 4, type: 'Integer', isSync: false, isRaw: true, min: 0, max: 100 },
      { name: 'Relay', pin: 5, type: 'Boolean', isSync: false, isRaw: true },
      {
        name: 'Mode',
        pin: 6,
        type: 'Enum',
        isSync: false,
        isRaw: true,
        enumValues: [
          { value: 0, label: 'Off' },
          { value: 1, label: 'Heat' },
          { value: 2, label: 'Cool' },
        ],
        enumFallback: 0,
      },
      { name: 'Set Point', pin: 7, type: 'Double', isSync: false, isRaw: true },
    ],
    events: [{ code: 'overheat', name: 'Overheat', description: 'Too hot' }],
    metaFields: [
      { name: 'Serial', type: 'Text', defaultValue: 'none' },
      { name: 'Floor', type: 'Number', min: 0, max: 10 },
    ],
  });
  const created = await platform.devices.create(caller, { templateId: template.id, name: 'HTTP Device' });
  const other = await platform.devices.create(caller, { templateId: template.id, name: 'Other Device' });
  const pending = await platform.devices.createProvisioningToken(caller, {
    templateId: template.id,
    name: 'Pending Device',
  });
  const id = (name: string, list: ReadonlyArray<{ id: number; name: string }>) => {
    const found = list.find((item) => item.name === name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found.id;
  };
  const names: DatastreamName[] = ['Temperature', 'Label', 'Position', 'Power', 'Relay', 'Mode', 'Set Point'];
  return {
    template,
    device: created.device,
    token: created.token,
    other: other.device,
    otherToken: other.token,
    pending: pending.device,
    pendingToken: pending.token,
    ds: Object.fromEntries(names.map((n) => [n, id(n, template.datastreams)])) as Record<
      DatastreamName,
      number
    >,
    meta: {
      Serial: id('Serial', template.metaFields),
      Floor: id('Floor', template.metaFields),
      Location: id('Location', template.metaFields),
      'Device Name': id('Device Name', template.metaFields),
    },
  };
}

/** Current values of a device, by datastream id. */
export async function currentValues(platform: Platform, deviceId: number): Promise<Map<number, unknown>> {
  return new Map((await platform.devices.currentValues(deviceId)).map((v) => [v.dataStreamId, v.value]));
}

/**
 * The fake device API runtime of the HTTP tests with the real UplinkService, ValueWriteService and
 * limits (the Device HTTPS API writes through them), on the fake's downlink recorder and presence.
 */
export function withRealUplinks(
  fake: FakeDeviceApi,
  platform: Platform,
  clock: Clock,
  overrides: Partial<DeviceApiOptions> = {},
): DeviceApiRuntime {
  const runtime = fake.runtime;
  const deviceInfoListeners: Array<(deviceId: number, info: HardwareInfo) => void> = [];
  const metrics = new DeviceApiMetrics();
  const options = { ...defaultDeviceApiOptions, ...overrides };
  const limits = new DeviceLimits(options, clock, metrics);
  const uplinks = createUplinkService({
    platform,
    clock,
    logger: pino({ level: 'silent' }),
    deviceInfoListeners,
    metrics,
    limits,
  });
  const values = createValueWriteService({ platform, downlinks: runtime.downlinks });
  return { ...runtime, options, uplinks, values, deviceInfoListeners, metrics, limits };
}
