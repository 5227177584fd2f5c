import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Authenticator } from '../../../src/broker/auth.js';
import type { ClientAdapter, PublishDecision } from '../../../src/broker/client-adapter.js';
import { GatewaySessions } from '../../../src/device-api/gateway-sessions.js';
import { deviceTopic, parseDeviceTopic } from '../../../src/device-api/internal-topics.js';
import {
  type DeviceApiOptions,
  type DeviceApiRuntime,
  defaultDeviceApiOptions,
  type UplinkTarget,
} from '../../../src/device-api/types.js';
import {
  GatewayConnection,
  type GatewayPrincipal,
  type GatewayRuntime,
} from '../../../src/gateway-api/gateway-adapter.js';
import type { ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Device } from '../../../src/platform/model.js';
import type { Platform } from '../../../src/platform/platform.js';
import { connected, createHarness, type Harness, type TestClient } from '../../helpers/channel-harness.js';
import { buildGatewayWorld, type GatewayWorld, TargetKind } from '../../helpers/gateway-world.js';
import { openTestPlatform } from '../../helpers/platform.js';

/** One uplink the fake UplinkService was asked to handle. */
export interface HandledUplink {
  readonly deviceId: number;
  readonly topic: string;
  readonly payload: string;
  /** `gateway`: through the UplinkService on a target's behalf; `device`: the gateway's own publish. */
  readonly via: 'device' | 'gateway';
}

/**
 * A fake UplinkService: records every call; `get/ds` answers `downlink/ds/Power` = 42 through the
 * reply channel, `ds/Nope` is refused with a diag and 0x90, `ds/Flood` answers 0x96 (the device
 * flood verdict), everything else succeeds.
 */
function fakeUplinks(handled: HandledUplink[], targets: UplinkTarget[]): DeviceApiRuntime['uplinks'] {
  return {
    async handle(target, topic, payload, reply) {
      handled.push({ deviceId: target.device.id, topic, payload: payload.toString(), via: 'gateway' });
      targets.push(target);
      if (topic === 'get/ds') reply.send('downlink/ds/Power', '42', 1);
      if (topic === 'ds/Flood') return ReasonCode.MessageRateTooHigh;
      if (topic === 'ds/Nope') {
        reply.diag('Unknown datastream "Nope"');
        return ReasonCode.TopicNameInvalid;
      }
      return ReasonCode.Success;
    },
  };
}

/** The gateway device's own Device API, faked: publishes are recorded, `downlink/…` is mounted. */
function fakeOwnAdapter(device: Device, handled: HandledUplink[]): ClientAdapter {
  return {
    onPublish: (topic, message) => {
      handled.push({ deviceId: device.id, topic, payload: message.payload.toString(), via: 'device' });
      return { kind: 'handled', reasonCode: ReasonCode.Success };
    },
    onSubscribe: (filter) =>
      filter.startsWith('downlink/')
        ? { filter: deviceTopic(device.id, filter), maxQos: 1 }
        : ReasonCode.NotAuthorized,
    toWireTopic: (internal) => {
      const parsed = parseDeviceTopic(internal);
      return parsed?.deviceId === device.id ? parsed.relative : undefined;
    },
  };
}

export interface GatewayHarness {
  readonly harness: Harness;
  readonly platform: Platform;
  readonly world: GatewayWorld;
  readonly runtime: GatewayRuntime;
  readonly handled: HandledUplink[];
  /** The target (device and template) of each handled uplink. */
  readonly targets: UplinkTarget[];
  readonly seen: number[];
  /** The adapters created, by MQTT client id. */
  readonly adapters: Map<string, GatewayConnection>;
  /** Connects as the OAuth client (`oauth`) or as `mgmt_device` (`mgmt`). */
  connect(login: 'oauth' | 'mgmt', version: ProtocolVersion, clientId?: string): Promise<TestClient>;
  /** Publishes `downlink/…` for a device as the DownlinkService does. */
  downlink(deviceId: number, relative: string, payload: string): number;
}

let counter = 0;

/** A real broker (fake clock, no sockets) and a real in-memory platform; the device API is faked. */
export async function gatewayHarness(
  t: TestContext,
  options: Partial<DeviceApiOptions> = {},
): Promise<GatewayHarness> {
  const handled: HandledUplink[] = [];
  const targets: UplinkTarget[] = [];
  const seen: number[] = [];
  const adapters = new Map<string, GatewayConnection>();
  let runtime: GatewayRuntime | undefined;
  let world: GatewayWorld | undefined;
  const authenticator: Authenticator = {
    authenticate: (request) => {
      if (runtime === undefined || world === undefined) throw new Error('harness not ready');
      const principal: GatewayPrincipal =
        request.username === 'mgmt'
          ? { kind: 'gateway-device', device: world.gateway.device }
          : { kind: 'oauth-client', client: world.oauth.client, mqttClientId: request.clientId };
      const own = principal.kind === 'gateway-device' ? fakeOwnAdapter(principal.device, handled) : undefined;
      const adapter = new GatewayConnection(runtime, principal, own);
      adapters.set(request.clientId, adapter);
      return { ok: true, identity: { clientId: request.clientId }, adapter };
    },
  };
  const harness = createHarness({ authenticator });
  t.after(() => harness.broker.close());
  const platform = await openTestPlatform(t, { clock: harness.clock });
  world = await buildGatewayWorld(platform);
  const broker = harness.broker;
  const rt: GatewayRuntime = {
    platform,
    broker,
    options: { ...defaultDeviceApiOptions, ...options },
    clock: harness.clock,
    logger: silentLogger(),
    uplinks: fakeUplinks(handled, targets),
    presence: {
      connected: () => undefined,
      disconnected: () => undefined,
      seen: (id) => seen.push(id),
      isOnline: () => false,
      onlineCount: () => 0,
    },
    gateways: new GatewaySessions(),
  };
  runtime = rt;
  return {
    harness,
    platform,
    world,
    runtime: rt,
    handled,
    targets,
    seen,
    adapters,
    connect: (login, version, clientId) => {
      counter += 1;
      return connected(harness, {
        clientId: clientId ?? `gw-${counter}`,
        username: login,
        protocolVersion: version,
      });
    },
    downlink: (deviceId, relative, payload) =>
      broker.publish({
        topic: deviceTopic(deviceId, relative),
        payload: Buffer.from(payload),
        qos: 1,
        retain: false,
        properties: {},
        createdAt: harness.clock.now(),
      }),
  };
}

/** Flushes pending promise callbacks (background re-checks, deferred unsubscribes). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Settles until `condition` holds or `ms` of real time passed: for work behind a store read, a
 * few turns on SQLite but a round trip on PostgreSQL, which a loaded machine can stretch past any
 * fixed number of turns. The caller asserts the condition afterwards.
 */
export async function settleUntil(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) {
    await settle();
    if (!condition()) await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
}

type Decision = PublishDecision | Promise<PublishDecision>;

/** A connected gateway and a way to call its adapter's onPublish directly. */
export interface LiveGateway {
  readonly g: GatewayHarness;
  readonly client: TestClient;
  readonly adapter: GatewayConnection;
  publish(token: string, relative: string, payload?: string): Decision;
}

/** A connected gateway whose login and `Same` target are known (the steady state reached). */
export async function live(t: TestContext, login: 'oauth' | 'mgmt'): Promise<LiveGateway> {
  const g = await gatewayHarness(t);
  // A real mgmt_device login authenticates its token, which caches the gateway device.
  if (login === 'mgmt') assert.ok(await g.platform.devices.authenticateToken(g.world.gateway.token));
  counter += 1;
  const clientId = `live-${counter}`;
  const client = await g.connect(login, 5, clientId);
  const adapter = g.adapters.get(clientId);
  assert.ok(adapter);
  const publish = (token: string, relative: string, payload = '1') => {
    const topic = `dev/${token}/${relative}`;
    return adapter.onPublish(topic, {
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      retain: false,
      properties: {},
      createdAt: 0,
    });
  };
  const same = g.world.tokens[TargetKind.Same];
  const first = publish(same, 'ds/Power');
  assert.ok(first instanceof Promise, 'the first publish reads the login and the token');
  assert.equal(await codeOf(first), ReasonCode.Success);
  return { g, client, adapter, publish };
}

export async function codeOf(decision: Decision): Promise<ReasonCode> {
  const d = await decision;
  if (d.kind === 'route') throw new Error('routed');
  return d.reasonCode;
}

/** The code of a decision taken synchronously (the fast path: a deferred decision). */
export function deferredCode(decision: Decision): Promise<ReasonCode> {
  assert.ok(!(decision instanceof Promise), 'a decision returned synchronously');
  assert.equal(decision.kind, 'deferred');
  return codeOf(decision);
}

/** The code of a decision taken on the async path (the one unreachable tokens take). */
export function asyncCode(decision: Decision): Promise<ReasonCode> {
  assert.ok(decision instanceof Promise, 'the async path');
  return codeOf(decision);
}
