import { join } from 'node:path';
import { readKeyFile, SECRET_KEY_BYTES, SECRET_KEY_FILE, writeNewKeyFile } from '../lib/secret-key-file.js';
import {
  ArchiveError,
  type ArchiveHeader,
  type ArchiveRecord,
  keyFingerprint,
  parseHeader,
  parseRecord,
  SpecialKind,
} from './archive-format.js';
import { archiveLines } from './archive-lines.js';
import type { ArchiveSink } from './archive-store.js';
import { lockDataDir } from './data-dir-guard.js';

export interface ImportOptions {
  readonly dataDir: string;
  /** The target's key file (`--secret-key-file`); default `<dataDir>/secret.key`. */
  readonly keyFile?: string;
  readonly file: string;
  /** Replace whatever the target holds. */
  readonly force: boolean;
  /** Opens the target stores (the SQLite sink, or another backend's). */
  readonly openSink: (tokenKey: Buffer) => Promise<ArchiveSink>;
}

export interface ImportSummary {
  readonly header: ArchiveHeader;
  /** Where the records went (the data directory, or the database with its password masked). */
  readonly target: string;
  readonly records: number;
  readonly firmwareFiles: number;
  readonly keyWritten: boolean;
}

/**
 * The key the archive's sealed tokens need: the target's own secret.key when it has one (it must
 * be the archive's), else the key carried in the archive (`--include-key`).
 */
function chooseKey(
  header: ArchiveHeader,
  target: Buffer | undefined,
  carried: Buffer | undefined,
  keyFile: string,
) {
  if (
    carried !== undefined &&
    (carried.length !== SECRET_KEY_BYTES || keyFingerprint(carried) !== header.keyFingerprint)
  )
    throw new ArchiveError('the secret key in the archive does not match its header');
  if (target !== undefined) {
    if (keyFingerprint(target) !== header.keyFingerprint)
      throw new ArchiveError(
        `${keyFile} is not the key this archive was exported with: ` +
          'put the source data directory’s secret.key there (or import into a directory without one)',
      );
    return { key: target, write: false };
  }
  if (carried === undefined)
    throw new ArchiveError(
      `${keyFile} does not exist and the archive does not carry a key: copy secret.key from the ` +
        'source data directory there first (or export with --include-key)',
    );
  return { key: carried, write: true };
}

type NextRecord = () => Promise<ArchiveRecord>;

/** The header, then the records one by one; running out before the end record is a cut-off archive. */
async function openReader(
  lines: AsyncGenerator<string>,
): Promise<{ header: ArchiveHeader; next: NextRecord }> {
  const first = await lines.next();
  const header = parseHeader(first.done === true ? undefined : first.value);
  let lineNumber = 1;
  const next = async (): Promise<ArchiveRecord> => {
    const line = await lines.next();
    if (line.done === true) throw new ArchiveError('the archive is cut off (no end record)');
    lineNumber++;
    return parseRecord(line.value, lineNumber);
  };
  return { header, next };
}

/**
 * Writes records up to the end record into the sink (rows and firmware files), then checks them
 * against the end record's and the header's counts. Returns the number of records before the end
 * (`before` of them came earlier: the secret key).
 */
async function loadRecords(
  header: ArchiveHeader,
  first: ArchiveRecord,
  next: NextRecord,
  sink: ArchiveSink,
  before: number,
): Promise<number> {
  const seen: Record<string, number> = {};
  let records = before;
  let record = first;
  for (; record.kind !== SpecialKind.End; record = await next()) {
    records++;
    await sink.write(record);
    seen[record.kind] = (seen[record.kind] ?? 0) + 1;
  }
  if (record.data.records !== records)
    throw new ArchiveError(
      `the end record counts ${String(record.data.records)} records, the archive has ${records}`,
    );
  checkCounts(header.counts, seen, 'the header counts', 'the archive has');
  return records;
}

/** Every kind counted in `expected` was seen that often (the source's counts against what came). */
export function checkCounts(
  expected: Readonly<Record<string, number>>,
  seen: Readonly<Record<string, number>>,
  counted = 'the snapshot counts',
  came = 'the copy has',
): void {
  for (const [kind, count] of Object.entries(expected))
    if ((seen[kind] ?? 0) !== count)
      throw new ArchiveError(`${counted} ${count} ${kind} records, ${came} ${seen[kind] ?? 0}`);
}

/** The opened sink, emptied when `force`; a target holding data is refused (and closed) otherwise. */
export async function emptySink(sink: ArchiveSink, force: boolean, command = 'import'): Promise<ArchiveSink> {
  try {
    if (await sink.isEmpty()) return sink;
    if (!force)
      throw new ArchiveError(
        `${sink.target} already holds data: ${command} only into an empty one, or pass --force to replace it`,
      );
    await sink.clear();
    return sink;
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

/**
 * Loads an archive into the stores `openSink` opens (those of `dataDir`, or a database), with
 * `dataDir` locked (its secret.key is the target's key). The target must be empty (or `force`),
 * and no server may run on the data directory. Rows are written in one transaction per database,
 * so an archive that turns out cut off or inconsistent leaves the target as it was (firmware files aside: unused
 * ones are swept at the next start).
 */
export async function importArchive(options: ImportOptions): Promise<ImportSummary> {
  const lock = await lockDataDir(options.dataDir, 'import');
  const lines = archiveLines(options.file);
  try {
    const { header, next } = await openReader(lines);
    let first = await next();
    let carried: Buffer | undefined;
    if (first.kind === SpecialKind.SecretKey) {
      carried = Buffer.from(String(first.data.key), 'base64');
      first = await next();
    }
    const keyFile = options.keyFile ?? join(options.dataDir, SECRET_KEY_FILE);
    const { key, write: writeKey } = chooseKey(header, await readKeyFile(keyFile), carried, keyFile);
    const sink = await emptySink(await options.openSink(key), options.force);
    let records: number;
    try {
      records = await loadRecords(header, first, next, sink, carried === undefined ? 0 : 1);
      await sink.commit();
    } catch (err) {
      await sink.abort();
      throw err;
    }
    if (writeKey) await writeNewKeyFile(keyFile, key);
    return { header, target: sink.target, records, firmwareFiles: sink.firmwareFiles, keyWritten: writeKey };
  } finally {
    await lines.return(undefined);
    lock.release();
  }
}
