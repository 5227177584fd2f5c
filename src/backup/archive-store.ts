import type { ArchiveRecord } from './archive-format.js';

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
  records(): Iterable<ArchiveRecord>;
  close(): void;
}

/** Writes records into empty stores, all or nothing (per database). */
export interface ArchiveSink {
  /** True when the stores hold no record of any archived kind. */
  isEmpty(): boolean;
  /** Deletes every archived record (import --force). */
  clear(): void;
  /** Stores one record; refuses a kind or a field it does not know. */
  write(record: ArchiveRecord): void;
  /** Makes every write durable; fails (and keeps nothing) when a reference does not resolve. */
  commit(): void;
  /** Drops every write since the sink was opened and closes it. */
  abort(): void;
}
