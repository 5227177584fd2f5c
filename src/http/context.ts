import type { Clock } from '../broker/clock.js';
import type { DeviceApiRuntime } from '../device-api/types.js';
import type { Platform } from '../platform/platform.js';
import type { PingLog } from './ping-log.js';

/** Who is connected right now; supplied by the device API once presence exists. */
export interface Presence {
  isOnline(deviceId: number): boolean;
}

/** What the route modules need. */
export interface RouteContext {
  readonly platform: Platform;
  readonly presence?: Presence | undefined;
  /** The device API (downlinks, value writes, ping); undefined until the broker runs. */
  readonly deviceApi: () => DeviceApiRuntime | undefined;
  /** Last ping round trip per device (Platform API ping, shown by `…/device/online`). */
  readonly pings: PingLog;
  /** Time for request checks (import windows); the platform's clock in tests. */
  readonly clock: Clock;
}
