import { join } from 'node:path';
import { readKeyFile, SECRET_KEY_FILE } from '../lib/secret-key-file.js';
import { ArchiveError } from './archive-format.js';
import { archiveRecords } from './archive-records.js';
import { lockDataDir } from './data-dir-guard.js';
import { checkCounts, emptySink } from './import-archive.js';
import { openPostgresArchiveSink } from './postgres-archive-sink.js';
import { openSqliteArchiveSource } from './sqlite-archive-source.js';

export interface MigrateOptions {
  readonly dataDir: string;
  readonly databaseUrl: string;
  /** Replace whatever the database holds. */
  readonly force: boolean;
}

export interface MigrateSummary {
  readonly records: number;
  readonly firmwareFiles: number;
  /** The database as safe to print (password masked). */
  readonly target: string;
}

/**
 * Copies a SQLite data directory into a PostgreSQL database: the export's records (history
 * included, firmware files as blobs) go straight from the SQLite snapshot into the PostgreSQL sink,
 * without an archive file, in one transaction. The data directory stays locked meanwhile: no server
 * may write there while its data moves (those writes would be left behind). It keeps secret.key,
 * which the PostgreSQL-backed server still reads from there; the SQLite files are left untouched.
 */
/** The data directory's token key: the copied tokens stay sealed under it. */
async function dataDirKey(dataDir: string): Promise<Buffer> {
  const key = await readKeyFile(join(dataDir, SECRET_KEY_FILE));
  if (key === undefined) throw new ArchiveError(`${dataDir} has no ${SECRET_KEY_FILE}: nothing to migrate`);
  return key;
}

export async function migrateToPostgres(options: MigrateOptions): Promise<MigrateSummary> {
  const lock = await lockDataDir(options.dataDir, 'migrate-to');
  try {
    const source = openSqliteArchiveSource(options.dataDir, { history: true });
    try {
      const sink = await emptySink(
        await openPostgresArchiveSink(options.databaseUrl, await dataDirKey(options.dataDir)),
        options.force,
        'migrate-to',
      );
      const seen: Record<string, number> = {};
      let records = 0;
      try {
        for await (const record of archiveRecords(source)) {
          await sink.write(record);
          seen[record.kind] = (seen[record.kind] ?? 0) + 1;
          records++;
        }
        // The snapshot's counts against what was copied: nothing lost on the way.
        checkCounts(source.counts, seen);
        await sink.commit();
      } catch (err) {
        await sink.abort();
        throw err;
      }
      return { records, firmwareFiles: sink.firmwareFiles, target: sink.target };
    } finally {
      await source.close();
    }
  } finally {
    lock.release();
  }
}
