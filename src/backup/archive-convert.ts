import { FIRMWARE_FILE } from '../ota/firmware-files.js';
import { ArchiveError, type RecordData } from './archive-format.js';

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
