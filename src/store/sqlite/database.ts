import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreCorruptError, StoreError } from '../errors.js';
import { makePrivateDirSync, preparePrivateDatabaseFile } from '../private-files.js';
import { type Migration, migrate, migrations } from './migrations.js';
import { attachCheckpointer, type CheckpointPolicy, DEFAULT_CHECKPOINT_POLICY } from './wal-checkpointer.js';

export interface OpenDatabaseOptions {
  /** How long a statement waits for a lock held by another connection before SQLITE_BUSY. */
  readonly busyTimeoutMs: number;
  readonly logger?: Logger;
  /** Test seam: the schema steps to apply (defaults to the shipped ones). */
  readonly migrations?: readonly Migration[];
  /**
   * WAL checkpoints on a worker thread (wal-checkpointer.ts; default DEFAULT_CHECKPOINT_POLICY),
   * or `false` for SQLite's own auto-checkpoint inside commits.
   */
  readonly checkpoint?: CheckpointPolicy | false;
}

/** SQLite result codes that mean "this file is not a database we can read". */
const corruptCodes = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Opens (creating if needed) the engine database, configures it and migrates it to the current
 * schema. Throws StoreVersionError for a newer schema and StoreCorruptError for an unreadable file;
 * the handle is closed on any failure.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions): Database {
  if (file !== ':memory:' && file !== '') {
    makePrivateDirSync(dirname(file));
    // Owner-only before SQLite opens it: the -wal and -shm files get the database file's mode.
    preparePrivateDatabaseFile(file);
  }
  const db = new BetterSqlite3(file);
  return withDatabase(db, file, () => {
    const wal = configure(db, file, options);
    const { from, to } = migrate(db, file, options.migrations ?? migrations);
    if (from !== to) options.logger?.info({ file, from, to }, 'database migrated');
    const policy = options.checkpoint ?? DEFAULT_CHECKPOINT_POLICY;
    if (wal && file !== ':memory:' && file !== '' && policy !== false)
      attachCheckpointer(db, file, policy, options.logger);
    return db;
  });
}

/**
 * Runs a set-up step on a fresh handle: on failure the handle is closed and SQLite's "not a
 * database" / "malformed" errors become StoreCorruptError.
 */
export function withDatabase<T>(db: Database, file: string, setUp: () => T): T {
  try {
    return setUp();
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    if (isSqliteError(err) && corruptCodes.has(err.code)) throw new StoreCorruptError(file, { cause: err });
    throw err;
  }
}

/** Configures the connection; true when it is in WAL mode. */
function configure(db: Database, file: string, options: OpenDatabaseOptions): boolean {
  // WAL lets readers (backups, the CLI) run beside the writer; NORMAL skips the fsync per commit,
  // so a power cut may lose the last commits but never corrupts the file.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') options.logger?.warn({ file, mode }, 'database is not in WAL mode');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
  // Reading the schema touches page 1 beyond the header: a damaged file fails here, not later.
  db.prepare('SELECT count(*) FROM sqlite_schema').get();
  return mode === 'wal';
}

function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof BetterSqlite3.SqliteError;
}
