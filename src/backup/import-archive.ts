import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECRET_KEY_FILE } from '../cli/admin-bootstrap.js';
import { firmwareFiles } from '../ota/firmware-files.js';
import { preparePrivateDir } from '../store/private-files.js';
import {
  ArchiveError,
  type ArchiveHeader,
  keyFingerprint,
  parseHeader,
  parseRecord,
  SpecialKind,
} from './archive-format.js';
import { archiveLines } from './archive-lines.js';
import type { ArchiveSink } from './archive-store.js';
import { assertDataDirIdle } from './data-dir-guard.js';
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

/**
 * Loads an archive into the stores of `dataDir`. The target must be empty (or `force`), and no
 * server may run on it. Rows are written in one transaction per database, so an archive that
 * turns out cut off or inconsistent leaves the target as it was (firmware files aside: unused
 * ones are swept at the next start).
 */
export async function importArchive(options: ImportOptions): Promise<ImportSummary> {
  await assertDataDirIdle(options.dataDir);
  const lines = archiveLines(options.file);
  const first = await lines.next();
  const header = parseHeader(first.done === true ? undefined : first.value);
  let lineNumber = 1;
  const next = async () => {
    const line = await lines.next();
    if (line.done === true) throw new ArchiveError('the archive is cut off (no end record)');
    lineNumber++;
    return parseRecord(line.value, lineNumber);
  };
  let record = await next();
  let carried: Buffer | undefined;
  if (record.kind === SpecialKind.SecretKey) {
    carried = Buffer.from(String(record.data.key), 'base64');
    record = await next();
  }
  await preparePrivateDir(options.dataDir);
  const { key, write: writeKey } = chooseKey(
    header,
    await readTargetKey(options.dataDir),
    carried,
    options.dataDir,
  );
  const sink = options.openSink(key);
  const firmware = new FirmwareWriter(firmwareFiles(options.dataDir));
  let records = carried === undefined ? 0 : 1;
  try {
    if (!sink.isEmpty()) {
      if (!options.force)
        throw new ArchiveError(
          `${options.dataDir} already holds data: import only into an empty one, or pass --force to replace it`,
        );
      sink.clear();
    }
    const seen: Record<string, number> = {};
    for (; record.kind !== SpecialKind.End; record = await next(), records++) {
      if (record.kind === SpecialKind.FirmwareChunk) await firmware.chunk(record.data);
      else if (record.kind === SpecialKind.FirmwareFile) await firmware.begin(record.data);
      else {
        await firmware.finish();
        sink.write(record);
        seen[record.kind] = (seen[record.kind] ?? 0) + 1;
      }
    }
    await firmware.finish();
    if (record.data.records !== records)
      throw new ArchiveError(
        `the end record counts ${String(record.data.records)} records, the archive has ${records}`,
      );
    for (const [kind, count] of Object.entries(header.counts))
      if ((seen[kind] ?? 0) !== count)
        throw new ArchiveError(
          `the header counts ${count} ${kind} records, the archive has ${seen[kind] ?? 0}`,
        );
    sink.commit();
  } catch (err) {
    await firmware.discard();
    sink.abort();
    throw err;
  } finally {
    await lines.return(undefined);
  }
  if (writeKey)
    await writeFile(join(options.dataDir, SECRET_KEY_FILE), `${key.toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  return { header, records, firmwareFiles: firmware.files, keyWritten: writeKey };
}
