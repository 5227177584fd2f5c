/** Platform settings, each configurable (config file `platform`, flags, env); defaults in defaultPlatformOptions. */
export interface PlatformOptions {
  /** Deepest organization level, root = 1 (spec §5.1 default 4). */
  readonly orgDepthLimit: number;
  /** Bearer access token lifetime, seconds (spec §5.8: 24 h). */
  readonly accessTokenTtlSec: number;
  /** Refresh token lifetime, seconds; single use. */
  readonly refreshTokenTtlSec: number;
  /** History older than this many days is pruned. */
  readonly historyRetentionDays: number;
  /** Datastreams per template (spec §5.2: up to 1000 on Enterprise). */
  readonly maxDatastreamsPerTemplate: number;
  /** A console session unused this long ends, seconds. */
  readonly sessionIdleSec: number;
  /** A console session ends this long after sign-in whatever its use, seconds. */
  readonly sessionMaxAgeSec: number;
}

export const defaultPlatformOptions: PlatformOptions = {
  orgDepthLimit: 4,
  accessTokenTtlSec: 24 * 3600,
  refreshTokenTtlSec: 24 * 3600,
  historyRetentionDays: 365,
  maxDatastreamsPerTemplate: 1000,
  sessionIdleSec: 30 * 60,
  sessionMaxAgeSec: 12 * 3600,
};
