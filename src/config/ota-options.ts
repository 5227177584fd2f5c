/** Blynk.Air settings (`devgate start`, config file section `ota`); all configurable. */
export interface OtaOptions {
  /**
   * Scheme, host and port devices download firmware from (`https://iot.example.com`); the URL in
   * `downlink/ota/json` is `{publicUrl}/static/{sha256}.bin?token=…`. Undefined: the local HTTP
   * listener (`http://<host>:<http port>`), which only devices on this host can reach.
   */
  readonly publicUrl?: string;
  /** Largest firmware upload, bytes (default 16 MiB). */
  readonly maxFirmwareBytes: number;
  /** Lifetime of a download URL's token, seconds (default 15 min). */
  readonly downloadTokenTtlSec: number;
  /** Downloads per device per 24 h (spec §3.4 default 3). */
  readonly downloadsPerDay: number;
}

export const defaultOtaOptions: OtaOptions = {
  maxFirmwareBytes: 16 * 1024 * 1024,
  downloadTokenTtlSec: 15 * 60,
  downloadsPerDay: 3,
};
