import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  ArchiveError,
  type ArchiveHeader,
  type ArchiveRecord,
  keyFingerprint,
  SpecialKind,
} from './archive-format.js';
import { archiveRecords } from './archive-records.js';
import type { ArchiveSource } from './archive-store.js';

export interface ExportOptions {
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

/**
 * Writes the archive of `source` to `options.out`: to a temporary file beside it (mode 0600),
 * renamed into place once complete, so a failed export never leaves a half archive under the
 * name. Memory stays bounded: rows stream from the store through gzip to the file
 * (the firmware bytes too, from the source's files or database).
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
    for await (const record of archiveRecords(source)) {
      add(record);
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
