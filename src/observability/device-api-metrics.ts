/** Device/gateway API counters (plain numbers, like EngineMetrics; no labels, so no token can leak). */
export class DeviceApiMetrics {
  /** Uplinks handled (any outcome). */
  uplinks = 0;
  /** Uplinks refused: unknown topic/datastream, bad payload, not allowed. */
  uplinksRefused = 0;
  /** Uplinks and Device HTTPS API writes refused by the per-device rate limit. */
  uplinksRateLimited = 0;
  /** Connections closed for sustained flooding. */
  floodDisconnects = 0;
  diagsSent = 0;
  /** Diags suppressed by the per-device throttle. */
  diagsThrottled = 0;
  redirects = 0;
  /** Downlinks published for devices (`downlink/…`, fan-out not counted). */
  downlinks = 0;
  /** Events refused by the per-device limits (per day, per code interval; spec §7.1). */
  eventsLimited = 0;
  /** Timestamped points not stored: the device's import allowance of the day was used up. */
  importPointsLimited = 0;
  /** Device HTTPS API `update` calls refused by the daily limit. */
  updatesLimited = 0;
  /** File uploads refused by the daily limit. */
  uploadsLimited = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
}
