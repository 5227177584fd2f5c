import type { TestContext } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { IPubackPacket } from 'mqtt-packet';
import {
  createPlatformAuthenticator,
  createPlatformAuthorizer,
} from '../../src/auth/platform-authenticator.js';
import type { ClientAdapter } from '../../src/broker/client-adapter.js';
import { createDeviceAdapter } from '../../src/device-api/device-adapter.js';
import { createDeviceApiRuntime } from '../../src/device-api/runtime.js';
import {
  type DeviceApiOptions,
  type DeviceApiRuntime,
  defaultDeviceApiOptions,
} from '../../src/device-api/types.js';
import type { Clock } from '../../src/lib/clock.js';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Device, Template } from '../../src/platform/model.js';
import type { Platform } from '../../src/platform/platform.js';
import { FakeClock } from './fake-clock.js';
import { type Connected, connectClient, nextPacketOf } from './mqtt-client.js';
import { callerFor, openTestPlatform } from './platform.js';
import { startServer, type TestServer } from './start-server.js';

/** A device of the world and its token. */
export interface WorldDevice {
  readonly device: Device;
  readonly token: string;
}

/**
 * The Device API on a real engine and a real (in-memory) platform, composed like `devgate start`
 * but with a fake clock for the device API (offline delays, diag throttle, rate limits) and no
 * gateway logins. Template "Thermostat":
 *
 * - datastreams Temperature (Double −40..125, sync), Power (Integer 0..1, default 0, sync),
 *   Set Temperature (Double 10..30, default 21, sync), Mode (Enum 0/1/2, fallback 0),
 *   Message (String), Place (Location), Flag (Boolean), Counter (Integer, sync, no default)
 * - events `overheat` ("Temperature above the safe range"), `door_open`
 * - metadata Serial (Text), Rating (Number 0..10), Contact (Contact), Coordinates (Coordinates)
 */
export interface DeviceWorld {
  readonly platform: Platform;
  readonly server: TestServer;
  readonly runtime: DeviceApiRuntime;
  readonly clock: FakeClock;
  readonly rootOrgId: number;
  readonly template: Template;
  readonly a: WorldDevice;
  readonly b: WorldDevice;
  /** Connects a real `mqtt` client as a device (username `device`). */
  connect(t: TestContext, token: string, options?: IClientOptions): Promise<Connected>;
  /** A new device of the template, in `orgId` (default the root org). */
  addDevice(name: string, orgId?: number): Promise<WorldDevice>;
}

export interface WorldOptions {
  readonly options?: Partial<DeviceApiOptions>;
  readonly rootTz?: string;
  /** A clock other than the world's FakeClock (e.g. the system clock). */
  readonly clock?: Clock;
}

/** Gateway logins are not part of these tests: their connections may do nothing. */
const refusingAdapter: ClientAdapter = {
  onPublish: () => ({ kind: 'handled', reasonCode: ReasonCode.NotAuthorized }),
  onSubscribe: () => ReasonCode.NotAuthorized,
  toWireTopic: () => undefined,
};

async function thermostat(platform: Platform, orgId: number): Promise<Template> {
  return platform.templates.create(callerFor(orgId), {
    name: 'Thermostat',
    offlineDelaySec: 60,
    datastreams: [
      { name: 'Temperature', pin: 0, type: 'Double', min: -40, max: 125, isSync: true, isRaw: true },
      { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 1, defaultValue: 0, isSync: true, isRaw: false },
      {
        name: 'Set Temperature',
        pin: 2,
        type: 'Double',
        min: 10,
        max: 30,
        defaultValue: 21,
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
        isSync: false,
        isRaw: false,
      },
      { name: 'Message', pin: 4, type: 'String', isSync: false, isRaw: false },
      { name: 'Place', pin: 5, type: 'Location', isSync: false, isRaw: false },
      { name: 'Flag', pin: 6, type: 'Boolean', isSync: false, isRaw: false },
      { name: 'Counter', pin: 7, type: 'Integer', isSync: true, isRaw: false },
    ],
    events: [
      {
        code: 'overheat',
        name: 'Overheat',
        type: 'WARNING',
        description: 'Temperature above the safe range',
      },
      { code: 'door_open', name: 'Door open' },
    ],
    metaFields: [
      { name: 'Serial', type: 'Text' },
      { name: 'Rating', type: 'Number', min: 0, max: 10 },
      { name: 'Contact', type: 'Contact' },
      { name: 'Coordinates', type: 'Coordinates' },
    ],
  });
}

export async function startDeviceWorld(t: TestContext, world: WorldOptions = {}): Promise<DeviceWorld> {
  const platform = await openTestPlatform(t);
  const root = await platform.orgs.createRoot({ name: 'Root', tz: world.rootTz ?? 'UTC' });
  const template = await thermostat(platform, root.id);
  const fake = new FakeClock(Date.now());
  const logger = silentLogger();
  let runtime: DeviceApiRuntime | undefined;
  const ready = (): DeviceApiRuntime => {
    if (runtime === undefined) throw new Error('device API not started');
    return runtime;
  };
  const server = await startServer(t, {
    deps: {
      logger,
      authenticator: createPlatformAuthenticator(platform, logger, {
        device: (device) => createDeviceAdapter(ready(), device),
        gatewayDevice: () => refusingAdapter,
        oauthClient: () => refusingAdapter,
      }),
      authorizer: createPlatformAuthorizer(),
      brokerReady: (broker) => {
        runtime = createDeviceApiRuntime({
          platform,
          broker,
          // Diags unthrottled unless a test asks: each test checks several of one device's texts.
          options: { ...defaultDeviceApiOptions, diagIntervalMs: 0, ...world.options },
          clock: world.clock ?? fake,
          logger,
        });
      },
    },
  });
  t.after(() => runtime?.close());
  const addDevice = (name: string, orgId = root.id): Promise<WorldDevice> =>
    platform.devices.create(callerFor(root.id), { templateId: template.id, name, orgId });
  return {
    platform,
    server,
    runtime: ready(),
    clock: fake,
    rootOrgId: root.id,
    template,
    a: await addDevice('Device A'),
    b: await addDevice('Device B'),
    connect: (tc, token, options = {}) =>
      connectClient(tc, server.port, { username: 'device', password: token, protocolVersion: 5, ...options }),
    addDevice,
  };
}

/** The datastream id of `name` in the world's template. */
export function dsId(world: DeviceWorld, name: string): number {
  const ds = world.template.datastreams.find((d) => d.name === name);
  if (ds === undefined) throw new Error(`no datastream ${name}`);
  return ds.id;
}

/** The device's current value of datastream `name` (undefined = none). */
export async function currentValue(world: DeviceWorld, deviceId: number, name: string): Promise<unknown> {
  const values = await world.platform.devices.currentValues(deviceId);
  return values.find((v) => v.dataStreamId === dsId(world, name))?.value;
}

/** Publishes at QoS 1 and resolves with the PUBACK reason code (0 when absent, as in 3.1.1). */
export async function pubackCode(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
): Promise<number> {
  const puback = await nextPacketOf<IPubackPacket>(client, 'puback', () => {
    client.publish(topic, payload, { qos: 1 }, () => undefined);
  });
  return puback.reasonCode ?? 0;
}
