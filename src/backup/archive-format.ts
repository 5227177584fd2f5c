import { createHash } from 'node:crypto';

/**
 * The archive: a gzip'd stream of JSON lines. Line 1 is the header; every other line is one
 * record `{"kind": …, "data": {…}}`; the last line is the `end` record with the number of
 * records before it, so a cut-off file is detected. See docs/decisions/0014-archive-format.md.
 */
export const ARCHIVE_FORMAT = 'devgate-archive';

/** Bumped when a reader of the previous version could misread the archive. */
export const ARCHIVE_FORMAT_VERSION = 1;

/** Longest line a reader accepts (a firmware chunk is 64 KiB of base64; a session row may be larger). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Raw bytes per firmware chunk record. */
export const FIRMWARE_CHUNK_BYTES = 48 * 1024;

export interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly formatVersion: number;
  readonly devgateVersion: string;
  /** ISO time of the export: the one field that differs between two exports of the same data. */
  readonly createdAt: string;
  readonly history: boolean;
  /** Identifies the secret key the sealed tokens need (not the key: a one-way hash of it). */
  readonly keyFingerprint: string;
  /** True when a `secretKey` record carries the key itself (`--include-key`). */
  readonly keyIncluded: boolean;
  /** Records per kind, as read from the snapshot. */
  readonly counts: Readonly<Record<string, number>>;
}

export type RecordData = Readonly<Record<string, unknown>>;

export interface ArchiveRecord {
  readonly kind: string;
  readonly data: RecordData;
}

/** Kinds beside the table kinds (archive-tables.ts). */
export const SpecialKind = {
  /** The secret key, base64 (only with `--include-key`). */
  SecretKey: 'secretKey',
  /** Highest id ever handed out per entity, so imported stores never reuse an id. */
  IdHighWater: 'idHighWater',
  /** A firmware file: `{sha256, size}`, followed by its chunks. */
  FirmwareFile: 'firmwareFile',
  /** Next bytes of the current firmware file: `{bytes: base64}`. */
  FirmwareChunk: 'firmwareChunk',
  End: 'end',
} as const;

/** A one-way fingerprint of the secret key: says whether two keys are the same without showing either. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256')
    .update('devgate archive key fingerprint\0')
    .update(key)
    .digest('hex')
    .slice(0, 32);
}

/** An archive that cannot be read; the message says why. */
export class ArchiveError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/** Parses and checks the header line; refuses a newer format with a message naming both versions. */
export function parseHeader(line: string | undefined): ArchiveHeader {
  let value: Partial<ArchiveHeader> | null = null;
  try {
    value = line === undefined ? null : (JSON.parse(line) as Partial<ArchiveHeader>);
  } catch {
    // reported below
  }
  if (value === null || typeof value !== 'object' || value.format !== ARCHIVE_FORMAT)
    throw new ArchiveError('not a devgate archive (no archive header on the first line)');
  const version = value.formatVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new ArchiveError('archive header has no valid formatVersion');
  if (version > ARCHIVE_FORMAT_VERSION)
    throw new ArchiveError(
      `archive format version ${version} (written by devgate ${String(value.devgateVersion)}) is newer than ` +
        `this devgate reads (version ${ARCHIVE_FORMAT_VERSION}): import it with that devgate version or newer`,
    );
  if (typeof value.keyFingerprint !== 'string' || typeof value.counts !== 'object' || value.counts === null)
    throw new ArchiveError('archive header lacks keyFingerprint or counts');
  return value as ArchiveHeader;
}

/** Parses one record line. */
export function parseRecord(line: string, lineNumber: number): ArchiveRecord {
  let value: Partial<ArchiveRecord> | null = null;
  try {
    value = JSON.parse(line) as Partial<ArchiveRecord>;
  } catch {
    // reported below
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.kind !== 'string' ||
    typeof value.data !== 'object'
  )
    throw new ArchiveError(`line ${lineNumber}: not an archive record`);
  return value as ArchiveRecord;
}
