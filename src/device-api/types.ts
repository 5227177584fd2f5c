import type { Broker } from '../broker/broker.js';
import type { DeviceApiOptions } from '../config/device-api-options.js';
import type { Clock } from '../lib/clock.js';
import type { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { DeviceApiMetrics } from '../observability/device-api-metrics.js';
import type { Logger } from '../observability/logger.js';
import type { Device, HardwareInfo, Template } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { DeviceLimits } from './device-limits.js';
import type { DiagThrottle } from './diag-throttle.js';
import type { GatewaySessions } from './gateway-sessions.js';

// The options live in config/ (decision 0019); re-exported for the device API's own importers.
export { type DeviceApiOptions, defaultDeviceApiOptions } from '../config/device-api-options.js';

/** The device an uplink acts for, resolved and current. */
export interface UplinkTarget {
  readonly device: Device;
  readonly template: Template;
}

/**
 * Where the answers to one uplink go: the device's own connection (topics as the device sees them,
 * `downlink/…`) or the gateway that sent it (which prefixes `dev/{token}/`).
 */
export interface ReplyChannel {
  /** Sends a device-relative downlink (e.g. `downlink/ds/Power`) to the requester only. */
  send(topic: string, payload: Buffer | string, qos: 0 | 1): void;
  /** A short human-readable `downlink/diag` text (QoS 0, no subscription needed), throttled. */
  diag(text: string): void;
  /**
   * `info/mcu` announced the device's receive buffer (`rxbuff`): a device connection lowers its
   * outbound packet size to it (spec §3.4); gateways ignore it (optional).
   */
  limitPacketSize?(bytes: number): void;
}

/** Handles the Device API uplink topics (spec §3.2) for one device, from any connection kind. */
export interface UplinkService {
  /**
   * `topic` is device-relative (`ds/Temperature`, `get/ds`, …). Resolves with the v5 PUBACK reason
   * code of spec §3.7 once the effect is durable (0x00 success; 0x90 unknown topic; 0x99 bad
   * payload/type; 0x87 not allowed; 0x97 over the device's rate limit); the caller acknowledges
   * with it. 0x96 means the device has been flooding for `floodDisconnectSec`: a device
   * connection closes with DISCONNECT 0x96, a gateway answers 0x97 (0x96 is no PUBACK code).
   * A gateway marks the device seen itself (spec §4.2), before the rate check.
   */
  handle(
    target: UplinkTarget,
    topic: string,
    payload: Buffer,
    reply: ReplyChannel,
    options?: UplinkOptions,
  ): Promise<ReasonCode>;
}

export interface UplinkOptions {
  /**
   * The caller already took this message from the device's rate (`limits.rate`): the Device
   * HTTPS API limits every write once per request, also those that do not come through here.
   */
  readonly rateTaken?: boolean;
}

/** Sends downlinks to a device: to its own connection and to every gateway subscribed to it. */
export interface DownlinkService {
  /** Publishes `downlink/…` for the device at QoS `qos` (default 1), capped by each subscription. */
  publish(deviceId: number, topic: string, payload: Buffer | string, qos?: 0 | 1): void;
  /** `downlink/diag`, `downlink/redirect`, `downlink/ota/json`: reach the device without a subscription, QoS 0. */
  unsolicited(deviceId: number, topic: string, payload: Buffer | string): void;
  /** `downlink/ping` at QoS 1; resolves with the PUBACK round trip in ms, or undefined (offline, timeout). */
  ping(deviceId: number): Promise<number | undefined>;
}

/** The write path for values set by the platform (HTTP APIs, other devices, automations). */
export interface ValueWriteService {
  /**
   * Validates (type, clamp, enum fallback; spec §3.5), stores as current value and history, and
   * sends `downlink/ds/NAME` to the device. `value` is a JSON value (Platform API; the HTTP device
   * API's texts are strings, a multi-value an array), typed by `coerceJsonValue`. Throws
   * ValidationError / NotFoundError (platform errors) on bad input.
   */
  write(
    deviceId: number,
    writes: ReadonlyArray<{ dataStreamId: number; value: unknown; ts?: number }>,
  ): Promise<void>;
}

/** Online/offline bookkeeping (spec §1.4, §5.10). */
export interface PresenceService {
  /** A device's own connection (or mgmt_device login) opened; `ip` is recorded when given. */
  connected(deviceId: number, ip?: string): void;
  /** It closed; Offline follows after the template's offline delay unless it reconnects or sends data. */
  disconnected(deviceId: number): void;
  /** Data arrived for the device (direct or through a gateway): Online, and the delay restarts. */
  seen(deviceId: number): void;
  isOnline(deviceId: number): boolean;
  /** Devices online now (the `devgate_devices_online` gauge). */
  onlineCount(): number;
}

/** Everything the device API, gateway API and HTTP write paths share. Built once per process. */
export interface DeviceApiRuntime {
  readonly platform: Platform;
  readonly broker: Broker;
  readonly options: DeviceApiOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly uplinks: UplinkService;
  readonly downlinks: DownlinkService;
  readonly values: ValueWriteService;
  readonly presence: PresenceService;
  /** Gateway API connections open now, with the devices each acted for (the console's list). */
  readonly gateways: GatewaySessions;
  /**
   * Listeners called after a device's `info/mcu` was recorded (hardware info incl. version and
   * firmware type): the OTA service offers pending firmware from here. Listeners must not throw.
   */
  readonly deviceInfoListeners: Array<(deviceId: number, info: HardwareInfo) => void>;
  /** Counters (uplinks, refusals, rate limiting, diags, redirects, downlinks). */
  readonly metrics: DeviceApiMetrics;
  /**
   * Per-device limits (spec §7.1, §9): the message rate every uplink and Device HTTPS API write
   * takes from, events, import points, HTTP `update` calls, uploads.
   */
  readonly limits: DeviceLimits;
  /** At most one `downlink/diag` per key per `diagIntervalMs`; keys: device ids, or a gateway's own. */
  readonly diagThrottle: DiagThrottle;
  /** Stops timers (offline delays, rate-limit windows); idempotent. */
  close(): void;
}
