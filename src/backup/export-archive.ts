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

/** Every record of the archive in order, firmware files after the platform's rows. */
async function* archiveRecords(source: ArchiveSource, dataDir: string): AsyncGenerator<ArchiveRecord> {
  const files = firmwareFiles(dataDir);
  const hashes = new Set<string>();
  let filesWritten = false;
  for (const record of source.records()) {
    if (record.kind === 'firmware') hashes.add(String(record.data.sha256));
    // Firmware files go right after the platform rows (before the engine's).
    if (
      !filesWritten &&
      (record.kind === 'session' ||
        record.kind === 'outbound' ||
        record.kind === 'inboundQos2' ||
        record.kind === 'retained')
    ) {
      filesWritten = true;
      for (const sha of [...hashes].sort()) yield* firmwareRecords(files.pathOf(sha), sha);
    }
    yield record;
  }
  if (!filesWritten) for (const sha of [...hashes].sort()) yield* firmwareRecords(files.pathOf(sha), sha);
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
    const prefix: ArchiveRecord[] = options.includeKey
      ? [{ kind: SpecialKind.SecretKey, data: { key: options.tokenKey.toString('base64') } }]
      : [];
    async function* all(): AsyncGenerator<ArchiveRecord> {
      yield* prefix;
      yield* archiveRecords(source, options.dataDir);
    }
    for await (const record of all()) {
      batch += `${JSON.stringify(record)}\n`;
      records++;
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
    throw err;
  }
  return { header, records, bytes: (await stat(options.out)).size };
}
