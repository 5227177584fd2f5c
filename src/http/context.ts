import type { DeviceApiRuntime } from '../device-api/types.js';
import type { Clock } from '../lib/clock.js';
import type { Platform } from '../platform/platform.js';
import type { UploadStore } from '../platform/uploads/upload-store.js';
import type { PingLog } from './ping-log.js';
import type { HttpThrottle } from './throttle.js';

/** Who is connected right now; supplied by the device API once presence exists. */
export interface Presence {
  isOnline(deviceId: number): boolean;
}

/** Device file uploads (spec §6.2 row 14): where they are kept and the URL they are served at. */
export interface DeviceUploads {
  readonly store: UploadStore;
  /** Largest file, bytes (spec: 5 MB). */
  readonly maxBytes: number;
  /** Scheme, host and port the answered URL starts with (`--public-url`, else the local listener). */
  readonly publicUrl: () => string;
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
  /** `POST /external/api/upload` and `GET /device_uploads/…`; absent: uploads are refused (403). */
  readonly uploads?: DeviceUploads | undefined;
  /** Failed-login throttling of every route that checks a token or secret (decision 0009). */
  readonly throttle: HttpThrottle;
}
