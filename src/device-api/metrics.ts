/** Device/gateway API counters (plain numbers, like EngineMetrics; no labels, so no token can leak). */
export class DeviceApiMetrics {
  /** Uplinks handled (any outcome). */
  uplinks = 0;
  /** Uplinks refused: unknown topic/datastream, bad payload, not allowed. */
  uplinksRefused = 0;
  /** Uplinks dropped by the per-device rate limit. */
  uplinksRateLimited = 0;
  /** Connections closed for sustained flooding. */
  floodDisconnects = 0;
  diagsSent = 0;
  /** Diags suppressed by the per-device throttle. */
  diagsThrottled = 0;
  redirects = 0;
  /** Downlinks published for devices (`downlink/…`, fan-out not counted). */
  downlinks = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
}
