import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { openDatabase } from '../../store/sqlite/database.js';
import type { Migration } from '../../store/sqlite/migrations.js';
import { platformMigrationsFor } from './migrations.js';

/** Page cache of the platform connection, KiB (pages are allocated as used, up to this). */
const PAGE_CACHE_KIB = 65_536;

/**
 * Opens the platform database (WAL, migrated to the current schema; a newer schema or a corrupt
 * file is refused with a typed StoreError). Foreign keys are enforced.
 */
export function openPlatformDatabase(
  file: string,
  options: { logger?: Logger; migrations?: readonly Migration[]; tokenKey?: Buffer } = {},
): Database {
  const db = openDatabase(file, {
    busyTimeoutMs: 5000,
    migrations: options.migrations ?? platformMigrationsFor(options.tokenKey),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  db.pragma('foreign_keys = ON');
  // History index inserts land all over the index (one leaf per datastream): a page cache of
  // 64 MiB (SQLite's default is 2 MiB) keeps its hot pages in memory under sustained ingest.
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return db;
}
