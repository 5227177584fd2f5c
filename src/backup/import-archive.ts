import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECRET_KEY_FILE } from '../platform/admin-bootstrap.js';
import { firmwareFiles } from '../ota/firmware-files.js';
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
import { lockDataDirForImport } from './data-dir-guard.js';
import { FirmwareWriter } from './firmware-writer.js';

/** Length of the platform key (secret.key holds it base64-encoded). */
const KEY_BYTES = 32;

export interface ImportOptions {
  readonly dataDir: string;
  readonly file: string;
  /** Replace whatever the target holds. */
  readonly force: boolean;
  /** Opens the target stores (the SQLite sink, or another backend's). */
  readonly openSink: (tokenKey: Buffer) => ArchiveSink;
}

export interface ImportSummary {
  readonly header: ArchiveHeader;
  readonly records: number;
  readonly firmwareFiles: number;
  readonly keyWritten: boolean;
}

async function readTargetKey(dataDir: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from((await readFile(join(dataDir, SECRET_KEY_FILE), 'utf8')).trim(), 'base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The key the archive's sealed tokens need: the target's own secret.key when it has one (it must
 * be the archive's), else the key carried in the archive (`--include-key`).
 */
function chooseKey(
  header: ArchiveHeader,
  target: Buffer | undefined,
  carried: Buffer | undefined,
  dataDir: string,
) {
  if (
    carried !== undefined &&
    (carried.length !== KEY_BYTES || keyFingerprint(carried) !== header.keyFingerprint)
  )
    throw new ArchiveError('the secret key in the archive does not match its header');
  if (target !== undefined) {
    if (keyFingerprint(target) !== header.keyFingerprint)
      throw new ArchiveError(
        `${join(dataDir, SECRET_KEY_FILE)} is not the key this archive was exported with: ` +
          'put the source data directory’s secret.key there (or import into a directory without one)',
      );
    return { key: target, write: false };
  }
  if (carried === undefined)
    throw new ArchiveError(
      `${dataDir} has no ${SECRET_KEY_FILE} and the archive does not carry one: copy secret.key from the ` +
        'source data directory first (or export with --include-key)',
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
 * Writes records up to the end record into the sink and the firmware files, then checks them
 * against the end record's and the header's counts. Returns the number of records before the end
 * (`before` of them came earlier: the secret key).
 */
async function loadRecords(
  header: ArchiveHeader,
  first: ArchiveRecord,
  next: NextRecord,
  sink: ArchiveSink,
  firmware: FirmwareWriter,
  before: number,
): Promise<number> {
  const seen: Record<string, number> = {};
  let records = before;
  let record = first;
  for (; record.kind !== SpecialKind.End; record = await next()) {
    records++;
    if (record.kind === SpecialKind.FirmwareChunk) await firmware.chunk(record.data);
    else if (record.kind === SpecialKind.FirmwareFile) await firmware.begin(record.data);
    else {
      await firmware.finish();
      sink.write(record);
      seen[record.kind] = (seen[record.kind] ?? 0) + 1;
    }
  }
  await firmware.finish();
  return checkCounts(header, record, records, seen);
}

function checkCounts(
  header: ArchiveHeader,
  end: ArchiveRecord,
  records: number,
  seen: Readonly<Record<string, number>>,
): number {
  if (end.data.records !== records)
    throw new ArchiveError(
      `the end record counts ${String(end.data.records)} records, the archive has ${records}`,
    );
  for (const [kind, count] of Object.entries(header.counts))
    if ((seen[kind] ?? 0) !== count)
      throw new ArchiveError(
        `the header counts ${count} ${kind} records, the archive has ${seen[kind] ?? 0}`,
      );
  return records;
}

/** Opens the target's stores, emptied when `force`; a target holding data is refused otherwise. */
function openEmptySink(options: ImportOptions, key: Buffer): ArchiveSink {
  const sink = options.openSink(key);
  if (sink.isEmpty()) return sink;
  if (!options.force) {
    sink.abort();
    throw new ArchiveError(
      `${options.dataDir} already holds data: import only into an empty one, or pass --force to replace it`,
    );
  }
  sink.clear();
  return sink;
}

/**
 * Loads an archive into the stores of `dataDir`. The target must be empty (or `force`), and no
 * server may run on it. Rows are written in one transaction per database, so an archive that
 * turns out cut off or inconsistent leaves the target as it was (firmware files aside: unused
 * ones are swept at the next start).
 */
export async function importArchive(options: ImportOptions): Promise<ImportSummary> {
  const lock = await lockDataDirForImport(options.dataDir);
  const lines = archiveLines(options.file);
  try {
    const { header, next } = await openReader(lines);
    let first = await next();
    let carried: Buffer | undefined;
    if (first.kind === SpecialKind.SecretKey) {
      carried = Buffer.from(String(first.data.key), 'base64');
      first = await next();
    }
    const targetKey = await readTargetKey(options.dataDir);
    const { key, write: writeKey } = chooseKey(header, targetKey, carried, options.dataDir);
    const sink = openEmptySink(options, key);
    const firmware = new FirmwareWriter(firmwareFiles(options.dataDir));
    let records: number;
    try {
      records = await loadRecords(header, first, next, sink, firmware, carried === undefined ? 0 : 1);
      sink.commit();
    } catch (err) {
      await firmware.discard();
      sink.abort();
      throw err;
    }
    if (writeKey)
      await writeFile(join(options.dataDir, SECRET_KEY_FILE), `${key.toString('base64')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    return { header, records, firmwareFiles: firmware.files, keyWritten: writeKey };
  } finally {
    await lines.return(undefined);
    lock.release();
  }
}
