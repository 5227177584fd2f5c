import type { Readable } from 'node:stream';

/** `{64 hex}.bin`: the only names the download route serves (the URL names content by hash). */
export const FIRMWARE_FILE = /^([0-9a-f]{64})\.bin$/;

/** The download URL's file name of a firmware content. */
export function firmwareFileName(sha256: string): string {
  return `${sha256}.bin`;
}

/**
 * Firmware bytes, one copy per content, keyed by their SHA-256 (hex) so identical uploads share
 * it. Files under the data directory (firmware-files.ts) or rows of the database
 * (postgres-firmware-blobs.ts); firmware rows live in the OtaStore and name their bytes by hash.
 */
export interface FirmwareBlobs {
  /** Stores the bytes under their hash; a hash already stored is kept as it is. */
  save(sha256: string, bytes: Buffer): Promise<void>;
  /**
   * The bytes as a stream, without holding them whole in memory, or undefined when none are
   * stored. The caller knows the length (the firmware row's size) and sends it before the body.
   */
  stream(sha256: string): Promise<Readable | undefined>;
  /** Removes the bytes; missing ones are fine. */
  remove(sha256: string): Promise<void>;
  /** Removes every content `keep` does not name (and leftovers of interrupted writes); returns how many. */
  sweep(keep: ReadonlySet<string>): Promise<number>;
}
