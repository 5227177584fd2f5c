import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { firmwareFiles } from '../ota/firmware-files.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  ArchiveError,
  type ArchiveHeader,
  type ArchiveRecord,
  FIRMWARE_CHUNK_BYTES,
  keyFingerprint,
  SpecialKind,
} from './archive-format.js';
import type { ArchiveSource } from './archive-store.js';
import { TABLES } from './archive-tables.js';

export interface ExportOptions {
  readonly dataDir: string;
  readonly out: string;
  readonly history: boolean;
  readonly tokenKey: Buffer;
  readonly includeKey: boolean;
  readonly devgateVersion: string;
  readonly now?: () => Date;
}

export interface ExportSummary {
  readonly header: ArchiveHeader;
  readonly records: number;
  readonly bytes: number;
}

/** Lines are handed to gzip in batches of about this many characters (fewer stream calls). */
const BATCH_CHARS = 64 * 1024;

/** A firmware file as records: its size and hash, then its bytes in chunks (never whole in memory). */
async function* firmwareRecords(path: string, sha256: string): AsyncGenerator<ArchiveRecord> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new ArchiveError(`firmware file ${sha256} is missing (deleted during the export?): export again`, {
      cause: err,
    });
  }
  yield { kind: SpecialKind.FirmwareFile, data: { sha256, size } };
  const stream = createReadStream(path, { highWaterMark: FIRMWARE_CHUNK_BYTES, end: size - 1 });
  if (size === 0) return stream.destroy();
  for await (const chunk of stream)
    yield { kind: SpecialKind.FirmwareChunk, data: { bytes: (chunk as Buffer).toString('base64') } };
}

/** Where the firmware files go: a marker with the hashes the firmware rows named. */
interface FirmwarePlace {
  readonly firmware: readonly string[];
}

const ENGINE_KINDS = new Set(TABLES.filter((t) => t.database === 'engine').map((t) => t.kind));

/**
 * The source's records with the place of the firmware files marked: right after the platform
 * rows (before the engine's). Synchronous, so rows cost no promise each.
 */
function* withFirmwarePlace(records: Iterable<ArchiveRecord>): Generator<ArchiveRecord | FirmwarePlace> {
  const hashes = new Set<string>();
  let placed = false;
  for (const record of records) {
    if (record.kind === 'firmware') hashes.add(String(record.data.sha256));
    if (!placed && ENGINE_KINDS.has(record.kind)) {
      placed = true;
      yield { firmware: [...hashes].sort() };
    }
    yield record;
  }
  if (!placed) yield { firmware: [...hashes].sort() };
}

/**
 * Writes the archive of `source` to `options.out`: to a temporary file beside it (mode 0600),
 * renamed into place once complete, so a failed export never leaves a half archive under the
 * name. Memory stays bounded: rows stream from the store through gzip to the file.
 */
export async function writeArchive(source: ArchiveSource, options: ExportOptions): Promise<ExportSummary> {
  const header: ArchiveHeader = {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    devgateVersion: options.devgateVersion,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    history: options.history,
    keyFingerprint: keyFingerprint(options.tokenKey),
    keyIncluded: options.includeKey,
    counts: source.counts,
  };
  let records = 0;
  async function* lines(): AsyncGenerator<string> {
    let batch = `${JSON.stringify(header)}\n`;
    const add = (record: ArchiveRecord): void => {
      batch += `${JSON.stringify(record)}\n`;
      records++;
    };
    if (options.includeKey)
      add({ kind: SpecialKind.SecretKey, data: { key: options.tokenKey.toString('base64') } });
    const files = firmwareFiles(options.dataDir);
    for (const item of withFirmwarePlace(source.records())) {
      if ('kind' in item) add(item);
      else
        for (const sha of item.firmware)
          for await (const record of firmwareRecords(files.pathOf(sha), sha)) {
            add(record);
            if (batch.length >= BATCH_CHARS) {
              yield batch;
              batch = '';
            }
          }
      if (batch.length >= BATCH_CHARS) {
        yield batch;
        batch = '';
      }
    }
    yield `${batch}${JSON.stringify({ kind: SpecialKind.End, data: { records } })}\n`;
  }
  const temp = join(dirname(options.out), `.${basename(options.out)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(
      Readable.from(lines()),
      createGzip(),
      createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
    );
    await rename(temp, options.out);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof ArchiveError || code === undefined) throw err;
    throw new ArchiveError(`cannot write ${options.out}: ${(err as Error).message}`, { cause: err });
  }
  return { header, records, bytes: (await stat(options.out)).size };
}
