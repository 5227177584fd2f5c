import type { Logger } from 'pino';
import type { EngineStores } from '../../broker/store-ports.js';
import { openDatabase, withDatabase } from './database.js';
import type { Migration } from './migrations.js';
import { SqliteRetainedStore } from './sqlite-retained-store.js';
import { SqliteSessionStore } from './sqlite-session-store.js';
import type { StoreHandle } from './store-handle.js';
import { WriteBatcher, type WriteBatcherStats } from './write-batcher.js';

export interface SqliteStoreOptions {
  readonly logger?: Logger;
  /** Pending row writes that force a commit before the next event-loop turn. Default 1000. */
  readonly maxBatchSize?: number;
  /** Wait for a lock held by another connection (a backup, the CLI). Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Test seam: schema steps to apply instead of the shipped ones. */
  readonly migrations?: readonly Migration[];
}

export interface SqliteEngineStores extends EngineStores {
  readonly sessions: SqliteSessionStore;
  readonly retained: SqliteRetainedStore;
  /** Live commit counters of the shared write batcher. */
  readonly stats: Readonly<WriteBatcherStats>;
}

/**
 * Opens `<data-dir>/engine.sqlite` (or any file) as the engine's durable stores. Both stores share
 * one connection and one write batcher. Throws StoreVersionError / StoreCorruptError when the file
 * cannot be used; see docs/storage.md.
 */
export function openSqliteStores(file: string, options: SqliteStoreOptions = {}): SqliteEngineStores {
  const db = openDatabase(file, {
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    ...(options.logger && { logger: options.logger }),
    ...(options.migrations && { migrations: options.migrations }),
  });
  const batcher = new WriteBatcher(db, {
    maxBatchSize: options.maxBatchSize ?? 1000,
    ...(options.logger && { logger: options.logger }),
  });
  let holders = 2;
  const handle: StoreHandle = {
    db,
    batcher,
    release: () => {
      holders--;
      if (holders === 0) db.close();
    },
  };
  // Preparing statements reads every table's schema: a damaged file fails here too.
  const [sessions, retained] = withDatabase(db, file, (): [SqliteSessionStore, SqliteRetainedStore] => [
    new SqliteSessionStore(handle),
    new SqliteRetainedStore(handle),
  ]);
  return {
    sessions,
    retained,
    stats: batcher.stats,
    async scrub() {
      await sessions.flush();
      await retained.flush();
      // VACUUM rewrites every page (freed ones are gone); TRUNCATE empties the WAL that held them.
      db.exec('VACUUM');
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    async close() {
      // Both closes run (and release the database) even if one flush fails; the failure is reported.
      const results = await Promise.allSettled([sessions.close(), retained.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
