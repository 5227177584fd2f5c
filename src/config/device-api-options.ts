/** Device API settings (spec §9 "Device-API limits"); all configurable. */
export interface DeviceApiOptions {
  /** Sustained uplink messages per second per device (default 50). */
  readonly rateLimitPerSec: number;
  /** Burst allowance per device (default 100). */
  readonly rateLimitBurst: number;
  /** Seconds of continuous excess after which a flooding device is disconnected (default 5). */
  readonly floodDisconnectSec: number;
  /** At most one `downlink/diag` per device per this many ms (default 1000). */
  readonly diagIntervalMs: number;
  /** Per-connection uplink rate for gateways (default 5000 msg/s). */
  readonly gatewayRateLimitPerSec: number;
  /**
   * This server's public base URL (e.g. `https://fra1.example.com`): devices of an organization
   * whose home region URL names another host get `downlink/redirect` (spec §2.5). Absent = never
   * redirect.
   */
  readonly regionUrl?: string;
  /** spec §7.1: events a device may log per UTC day (default 100). */
  readonly eventsPerDay: number;
  /** spec §7.1: least time between two events of the same code from one device, ms (default 1000). */
  readonly eventIntervalMs: number;
  /** spec §7.1: timestamped points a device may import per UTC day (default 100,000, 2026 changelog). */
  readonly importPointsPerDay: number;
  /** spec §6.2/§7.1: Device HTTPS API `update` calls per device per UTC day (default 500,000). */
  readonly httpUpdatesPerDay: number;
  /** spec §6.2 row 14: files kept per device, the oldest evicted (default 10; 0 = uploads off). */
  readonly uploadMaxFiles: number;
  /** spec §6.2 row 14: largest uploaded file, bytes (default 5 MiB). */
  readonly uploadMaxBytes: number;
  /** spec §6.2 row 14: uploads per device per UTC day (default 1,000). */
  readonly uploadsPerDay: number;
  /** Console live streams (`…/device/live`) open at once, all callers together (default 1,000). */
  readonly liveStreamsMax: number;
  /** Live streams one caller (OAuth client or user) may hold open at once (default 20). */
  readonly liveStreamsPerCaller: number;
  /** Bytes a live stream may have waiting for a slow reader before it is dropped (default 256 KiB). */
  readonly liveStreamBufferBytes: number;
}

export const defaultDeviceApiOptions: DeviceApiOptions = {
  rateLimitPerSec: 50,
  rateLimitBurst: 100,
  floodDisconnectSec: 5,
  diagIntervalMs: 1000,
  gatewayRateLimitPerSec: 5000,
  eventsPerDay: 100,
  eventIntervalMs: 1000,
  importPointsPerDay: 100_000,
  httpUpdatesPerDay: 500_000,
  uploadMaxFiles: 10,
  uploadMaxBytes: 5 * 1024 * 1024,
  uploadsPerDay: 1000,
  liveStreamsMax: 1000,
  liveStreamsPerCaller: 20,
  liveStreamBufferBytes: 256 * 1024,
};
