import { archiveRecords } from './archive-records.js';
import { lockDataDir } from './data-dir-guard.js';
import { checkCounts, emptySink } from './import-archive.js';
import { openPostgresArchiveSink } from './postgres-archive-sink.js';
import { openSqliteArchiveSource } from './sqlite-archive-source.js';

export interface MigrateOptions {
  readonly dataDir: string;
  /** The data directory's token key: the copied tokens stay sealed under it. */
  readonly tokenKey: Buffer;
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
 * may write there while its data moves (those writes would be left behind). The key file stays
 * where it is, for the PostgreSQL-backed server; the SQLite files are left untouched.
 */
export async function migrateToPostgres(options: MigrateOptions): Promise<MigrateSummary> {
  const lock = await lockDataDir(options.dataDir, 'migrate-to');
  try {
    const source = openSqliteArchiveSource(options.dataDir, { history: true });
    try {
      const sink = await emptySink(
        await openPostgresArchiveSink(options.databaseUrl, options.tokenKey),
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
