import type { ArchiveRecord } from './archive-format.js';

/** The bytes of one firmware file, in chunks of FIRMWARE_CHUNK_BYTES (the last may be shorter). */
export interface FirmwareContent {
  readonly size: number;
  chunks(): AsyncIterable<Buffer>;
}

/**
 * Reads every record of a snapshot of the stores. One implementation per storage backend; the
 * archive format does not depend on which one wrote it.
 */
export interface ArchiveSource {
  /** Records per kind in the snapshot (history counted only when wanted). */
  readonly counts: Readonly<Record<string, number>>;
  /**
   * The snapshot's records: table kinds in TABLES order (platform first, the engine's last), with
   * `idHighWater` records after the platform's. Rows are produced one at a time (bounded memory).
   * Called once per source.
   */
  records(): AsyncIterable<ArchiveRecord>;
  /** The bytes a firmware record's sha256 names; ArchiveError when they are missing. */
  firmware(sha256: string): Promise<FirmwareContent>;
  close(): Promise<void>;
}

/** Writes records into empty stores, all or nothing (per database). */
export interface ArchiveSink {
  /** Where the records go, as safe to print (a data directory, a database URL without password). */
  readonly target: string;
  /** Firmware files stored so far (complete and checked). */
  readonly firmwareFiles: number;
  /** True when the stores hold no record of any archived kind. */
  isEmpty(): Promise<boolean>;
  /** Deletes every archived record (import --force). */
  clear(): Promise<void>;
  /**
   * Stores one record: a table row, an `idHighWater`, a `firmwareFile` or a `firmwareChunk` (the
   * chunks follow their file record). Refuses a kind or a field it does not know.
   */
  write(record: ArchiveRecord): Promise<void>;
  /** Makes every write durable; fails (and keeps nothing) when a reference does not resolve. */
  commit(): Promise<void>;
  /** Drops every write since the sink was opened and closes it. */
  abort(): Promise<void>;
}
