import { join } from 'node:path';
import type { Database as Connection, Statement } from 'better-sqlite3';
import { firmwareFiles } from '../ota/firmware-files.js';
import { openPlatformDatabase } from '../platform/sqlite/database.js';
import { openDatabase } from '../store/sqlite/database.js';
import { ArchiveError, type ArchiveRecord, SpecialKind } from './archive-format.js';
import type { ArchiveSink } from './archive-store.js';
import { type Database, fieldName, TABLES, type TableSpec } from './archive-tables.js';
import { FirmwareWriter } from './firmware-writer.js';
import { ENGINE_FILE, PLATFORM_FILE } from './sqlite-archive-source.js';

interface Writer {
  readonly table: TableSpec;
  readonly insert: Statement;
  readonly fields: readonly string[];
}

/** An archive field back into its stored column value. */
function toColumn(table: TableSpec, column: string, value: unknown): unknown {
  if (value === null) return null;
  if (table.json?.includes(column)) return JSON.stringify(value);
  if (table.bytes?.includes(column)) {
    if (typeof value !== 'string')
      throw new ArchiveError(`${table.kind}.${fieldName(column)}: expected base64`);
    return Buffer.from(value, 'base64');
  }
  if (typeof value === 'boolean' || typeof value === 'object')
    throw new ArchiveError(`${table.kind}.${fieldName(column)}: unexpected ${typeof value}`);
  return value;
}

/**
 * The SQLite stores of a data directory as an archive sink: both databases are created (or
 * migrated) with the current schema, and each takes every write in one transaction with foreign
 * keys checked at commit, so a failed import leaves the stores as they were. Firmware files go
 * into the data directory's firmware folder (a file left by a failed import is swept at the next
 * start when no firmware row names it).
 */
export function openSqliteArchiveSink(dataDir: string, tokenKey: Buffer): ArchiveSink {
  const platform = openPlatformDatabase(join(dataDir, PLATFORM_FILE), { tokenKey });
  let engine: Connection;
  try {
    engine = openDatabase(join(dataDir, ENGINE_FILE), { busyTimeoutMs: 5000, checkpoint: false });
  } catch (err) {
    platform.close();
    throw err;
  }
  const connections: Record<Database, Connection> = { platform, engine };
  for (const db of [platform, engine]) {
    db.exec('BEGIN IMMEDIATE');
    // The archive lists rows in id order, but a row may name a later one (an org moved under a newer one).
    db.pragma('defer_foreign_keys = ON');
  }
  const writers = new Map<string, Writer>(
    TABLES.map((table) => {
      const columns = table.columns;
      const sql = `INSERT INTO ${table.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      return [
        table.kind,
        { table, insert: connections[table.database].prepare(sql), fields: columns.map(fieldName) },
      ];
    }),
  );
  const tableOfKind = new Map(TABLES.map((t) => [t.kind, t.table]));
  const dropHighWater = platform.prepare('DELETE FROM sqlite_sequence WHERE name = ?');
  const setHighWater = platform.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');

  function writeHighWater(data: ArchiveRecord['data']): void {
    const table = tableOfKind.get(String(data.entity));
    if (table === undefined || !Number.isSafeInteger(data.last))
      throw new ArchiveError(`idHighWater: unknown entity ${String(data.entity)}`);
    dropHighWater.run(table);
    setHighWater.run(table, data.last);
  }

  const firmware = new FirmwareWriter(firmwareFiles(dataDir));
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const db of [platform, engine]) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    }
  };

  function writeRow(record: ArchiveRecord): void {
    const writer = writers.get(record.kind);
    if (writer === undefined) throw new ArchiveError(`unknown record kind "${record.kind}"`);
    const values = writer.table.columns.map((column, i) => {
      const field = writer.fields[i] as string;
      if (!(field in record.data)) throw new ArchiveError(`${record.kind} record lacks "${field}"`);
      return toColumn(writer.table, column, record.data[field]);
    });
    writer.insert.run(values);
  }

  return {
    target: dataDir,
    get firmwareFiles() {
      return firmware.files;
    },
    async isEmpty() {
      const tables = [
        ...TABLES.map((t) => [t.database, t.table] as const),
        ['platform', 'history_staging'] as const,
        ['platform', 'user_sessions'] as const,
      ];
      return tables.every(
        ([database, table]) =>
          connections[database].prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() === undefined,
      );
    },
    async clear() {
      for (const table of [...TABLES].reverse())
        connections[table.database].exec(`DELETE FROM ${table.table}`);
      platform.exec('DELETE FROM history_staging; DELETE FROM user_sessions; DELETE FROM sqlite_sequence');
    },
    async write(record) {
      if (record.kind === SpecialKind.FirmwareChunk) return firmware.chunk(record.data);
      if (record.kind === SpecialKind.FirmwareFile) return firmware.begin(record.data);
      await firmware.finish();
      if (record.kind === SpecialKind.IdHighWater) return writeHighWater(record.data);
      writeRow(record);
    },
    async commit() {
      await firmware.finish();
      try {
        for (const db of [platform, engine]) db.exec('COMMIT');
      } catch (err) {
        throw new ArchiveError(`the archive's records do not fit together: ${(err as Error).message}`, {
          cause: err,
        });
      } finally {
        close();
      }
    },
    async abort() {
      await firmware.discard();
      close();
    },
  };
}
