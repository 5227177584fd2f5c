import { DeviceLimits } from '../../src/device-api/device-limits.js';
import { type DeviceApiRuntime, defaultDeviceApiOptions } from '../../src/device-api/types.js';
import { systemClock } from '../../src/lib/clock.js';
import { DeviceApiMetrics } from '../../src/observability/device-api-metrics.js';
import { NotFoundError, ValidationError } from '../../src/platform/errors.js';
import type { Platform } from '../../src/platform/platform.js';
import { coerceJsonValue, formatValue } from '../../src/platform/templates/value-typing.js';

export interface PublishedDownlink {
  readonly deviceId: number;
  readonly topic: string;
  readonly payload: string;
  readonly qos: 0 | 1;
}

/**
 * A stand-in for the device API runtime in HTTP tests: value writes are typed, stored on the real
 * platform and recorded as `downlink/ds/…`; downlinks are recorded; pings answer `pingAnswer`.
 */
export interface FakeDeviceApi {
  readonly runtime: DeviceApiRuntime;
  readonly published: PublishedDownlink[];
  readonly pinged: number[];
  /** What the next ping resolves with (undefined = no answer). */
  pingAnswer: number | undefined;
  /** Devices both present (presence) and connected (broker session). */
  readonly online: Set<number>;
  /** Devices whose session another cluster node holds. */
  readonly elsewhere: Set<number>;
}

export function fakeDeviceApi(platform: Platform): FakeDeviceApi {
  const published: PublishedDownlink[] = [];
  const metrics = new DeviceApiMetrics();
  const online = new Set<number>();
  const elsewhere = new Set<number>();
  const deviceOf = (key: string) => Number(key.slice('device:'.length));
  const fake: FakeDeviceApi = {
    published,
    pinged: [],
    pingAnswer: undefined,
    online,
    elsewhere,
    runtime: undefined as unknown as DeviceApiRuntime,
  };
  const publish = (deviceId: number, topic: string, payload: Buffer | string, qos: 0 | 1 = 1) => {
    published.push({ deviceId, topic, payload: payload.toString(), qos });
  };
  const write: DeviceApiRuntime['values']['write'] = async (deviceId, writes) => {
    const device = await platform.devices.byId(deviceId);
    const template = device === undefined ? undefined : platform.templates.byId(device.templateId);
    if (template === undefined) throw new NotFoundError(`Device ${deviceId} is not found.`);
    const typed = writes.map((w) => {
      const ds = template.datastreams.find((d) => d.id === w.dataStreamId);
      if (ds === undefined)
        throw new NotFoundError(`Data stream with identifier ${w.dataStreamId} is not found!`);
      const result = coerceJsonValue(ds, w.value);
      if (!result.ok) throw new ValidationError(result.reason);
      return { ds, value: result.value };
    });
    await platform.devices.writeValues(
      deviceId,
      typed.map(({ ds, value }) => ({ dataStreamId: ds.id, value })),
    );
    for (const { ds, value } of typed) publish(deviceId, `downlink/ds/${ds.name}`, formatValue(ds, value));
  };
  const runtime = {
    platform,
    // Tests mark a device connected through `online`; the session key is `device:{id}`.
    broker: {
      isConnected: (key: string) => online.has(deviceOf(key)),
      heldElsewhere: async (key: string) => elsewhere.has(deviceOf(key)),
    },
    downlinks: {
      publish,
      unsolicited: (deviceId: number, topic: string, payload: Buffer | string) =>
        publish(deviceId, topic, payload, 0),
      ping: async (deviceId: number) => {
        fake.pinged.push(deviceId);
        return fake.pingAnswer;
      },
    },
    values: { write },
    presence: {
      connected: (id: number) => online.add(id),
      disconnected: (id: number) => online.delete(id),
      seen: (id: number) => online.add(id),
      isOnline: (id: number) => online.has(id),
      onlineCount: () => online.size,
    },
    options: defaultDeviceApiOptions,
    metrics,
    // Real limits with the defaults (writes take from the device's rate, imports count).
    limits: new DeviceLimits(defaultDeviceApiOptions, systemClock, metrics),
    close: () => {},
  };
  (fake as { runtime: DeviceApiRuntime }).runtime = runtime as unknown as DeviceApiRuntime;
  return fake;
}
