import { createHash, type Hash } from 'node:crypto';
import { FIRMWARE_FILE } from '../ota/firmware-files.js';
import { ArchiveError, type ArchiveRecord, type RecordData } from './archive-format.js';
import { fieldName, type TableSpec } from './archive-tables.js';

/** Turns one stored column value into its archive field value. */
export type Convert = (value: unknown) => unknown;

export const asIs: Convert = (value) => value;
/** A JSON column stored as text: archived as the JSON value. */
export const fromJsonText: Convert = (value) => JSON.parse(value as string);
/** A bytes column: archived as base64. */
export const toBase64: Convert = (value) => (value as Buffer).toString('base64');

/** The content hash and size a `firmwareFile` record announces; ArchiveError when either is unusable. */
export function firmwareFileOf(data: RecordData): { sha256: string; size: number } {
  const sha256 = String(data.sha256);
  const size = data.size;
  if (
    !FIRMWARE_FILE.test(`${sha256}.bin`) ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0
  )
    throw new ArchiveError('firmwareFile record with an invalid sha256 or size');
  return { sha256, size };
}

/**
 * A row's archive record: each column's field converted as `convertOf` says (built once per table,
 * by each backend's source); NULL stays null.
 */
export function rowToRecord(
  table: TableSpec,
  convertOf: (column: string) => Convert,
): (row: Record<string, unknown>) => ArchiveRecord {
  const fields = table.columns.map((column) => ({
    column,
    field: fieldName(column),
    convert: convertOf(column),
  }));
  return (row) => {
    const data: Record<string, unknown> = {};
    for (const { column, field, convert } of fields) {
      const value = row[column];
      data[field] = value === null || value === undefined ? null : convert(value);
    }
    return { kind: table.kind, data };
  };
}

/**
 * The bytes of one archived firmware file as its chunks arrive: never more than its record said,
 * and at the end exactly its size and SHA-256 (ArchiveError otherwise). Each backend's writer
 * stores the bytes its own way.
 */
export class FirmwareIntake {
  readonly sha256: string;
  readonly size: number;
  readonly #hash: Hash = createHash('sha256');
  #written = 0;

  constructor(data: RecordData) {
    ({ sha256: this.sha256, size: this.size } = firmwareFileOf(data));
  }

  /** The chunk's bytes, counted and hashed. */
  take(data: RecordData): Buffer {
    const bytes = Buffer.from(String(data.bytes), 'base64');
    this.#written += bytes.length;
    if (this.#written > this.size)
      throw new ArchiveError(`firmware file ${this.sha256} is longer than its record says`);
    this.#hash.update(bytes);
    return bytes;
  }

  /** Whether every byte arrived and they hash to the record's SHA-256; asked once, at the end. */
  isComplete(): boolean {
    return this.#written === this.size && this.#hash.digest('hex') === this.sha256;
  }

  damaged(): ArchiveError {
    return new ArchiveError(
      `firmware file ${this.sha256} in the archive is damaged (size or SHA-256 differ)`,
    );
  }
}
