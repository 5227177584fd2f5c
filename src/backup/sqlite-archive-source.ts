import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3, { type Database as Connection } from 'better-sqlite3';
import { firmwareFiles } from '../ota/firmware-files.js';
import { platformMigrations } from '../platform/sqlite/migrations.js';
import { migrations as engineMigrations } from '../store/sqlite/migrations.js';
import { asIs, fromJsonText, rowToRecord, toBase64 } from './archive-convert.js';
import { ArchiveError, type ArchiveRecord, FIRMWARE_CHUNK_BYTES, SpecialKind } from './archive-format.js';
import type { ArchiveSource, FirmwareContent } from './archive-store.js';
import { type Database, TABLES, type TableSpec } from './archive-tables.js';

export const PLATFORM_FILE = 'platform.sqlite';
export const ENGINE_FILE = 'engine.sqlite';

/** History rows still in the staging table are history too (staging.ts merges them later). */
const HISTORY_UNION = `SELECT device_id, datastream_id, ts, value FROM history
  UNION ALL SELECT device_id, datastream_id, ts, value FROM history_staging`;

function sourceOf(table: TableSpec): string {
  return table.table === 'history' ? `(${HISTORY_UNION})` : table.table;
}

/** Opens an existing database for reading; a schema this devgate does not write exactly is refused. */
function openExisting(file: string, expected: number): Connection {
  let db: Connection;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
  } catch (err) {
    throw new ArchiveError(`cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== expected) {
    db.close();
    throw new ArchiveError(
      `${file} has schema version ${version}, this devgate exports version ${expected}: ` +
        (version < expected
          ? 'start this devgate on the data directory once to migrate it'
          : 'use a newer devgate'),
    );
  }
  return db;
}

/** Turns a stored row into archive fields (JSON text parsed, bytes as base64); built once per table. */
function recordMaker(table: TableSpec): (row: Record<string, unknown>) => ArchiveRecord {
  return rowToRecord(table, (column) =>
    table.json?.includes(column) ? fromJsonText : table.bytes?.includes(column) ? toBase64 : asIs,
  );
}

/**
 * The SQLite stores of a data directory as an archive source. Each database is read inside one
 * read transaction: under WAL that is a snapshot, taken for both files one right after the other,
 * while the server goes on writing. The two snapshots are not one atomic moment (decision 0014).
 */
export function openSqliteArchiveSource(dataDir: string, options: { history: boolean }): ArchiveSource {
  const platformFile = join(dataDir, PLATFORM_FILE);
  if (!existsSync(platformFile))
    throw new ArchiveError(`${dataDir} holds no platform data (no ${PLATFORM_FILE})`);
  const platform = openExisting(platformFile, platformMigrations.length);
  let engine: Connection | undefined;
  // No engine.sqlite: the server ran without --persistence, there are no sessions to archive.
  const engineFile = join(dataDir, ENGINE_FILE);
  try {
    if (existsSync(engineFile)) engine = openExisting(engineFile, engineMigrations.length);
  } catch (err) {
    platform.close();
    throw err;
  }
  const connections: Partial<Record<Database, Connection>> = { platform, ...(engine && { engine }) };
  try {
    return snapshotSource(connections, options, dataDir);
  } catch (err) {
    for (const db of Object.values(connections)) db.close();
    throw err;
  }
}

/** Starts the read transactions and counts the records; the source reads inside them. */
function snapshotSource(
  connections: Partial<Record<Database, Connection>>,
  options: { history: boolean },
  dataDir: string,
): ArchiveSource {
  const platform = connections.platform as Connection;
  // BEGIN is deferred: the first read fixes the snapshot, so read at once on both.
  for (const db of Object.values(connections)) {
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  }
  // A missing engine.sqlite counts as empty stores: the archive is the same as with an empty file.
  const tables = TABLES.filter((t) => options.history || !t.history);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const db = connections[table.database];
    counts[table.kind] =
      db === undefined
        ? 0
        : (db.prepare(`SELECT count(*) AS n FROM ${sourceOf(table)}`).get() as { n: number }).n;
  }
  const highWater = platform.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY name').all() as Array<{
    name: string;
    seq: number;
  }>;
  const kindOfTable = new Map(TABLES.map((t) => [t.table, t.kind]));
  const idRecords = highWater
    .filter((row) => kindOfTable.has(row.name))
    .map((row) => ({
      kind: SpecialKind.IdHighWater,
      data: { entity: kindOfTable.get(row.name), last: row.seq },
    }));
  counts[SpecialKind.IdHighWater] = idRecords.length;

  // Async for the interface's sake; the rows are read synchronously, one promise each.
  async function* records(): AsyncGenerator<ArchiveRecord> {
    for (const table of tables) {
      if (table.database === 'engine' && idRecords.length > 0) yield* idRecords.splice(0);
      const db = connections[table.database];
      if (db === undefined) continue;
      const rows = db.prepare(
        `SELECT ${table.columns.join(', ')} FROM ${sourceOf(table)} ORDER BY ${table.orderBy}`,
      );
      const toRecord = recordMaker(table);
      for (const row of rows.iterate()) yield toRecord(row as Record<string, unknown>);
    }
    yield* idRecords.splice(0);
  }

  const files = firmwareFiles(dataDir);
  return {
    counts,
    records,
    firmware: (sha256) => firmwareFile(files.pathOf(sha256), sha256),
    async close() {
      for (const db of Object.values(connections)) {
        if (db.inTransaction) db.exec('COMMIT');
        db.close();
      }
    },
  };
}

/** A firmware file of the data directory, read in archive-sized chunks. */
async function firmwareFile(path: string, sha256: string): Promise<FirmwareContent> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new ArchiveError(`firmware file ${sha256} is missing (deleted during the export?): export again`, {
      cause: err,
    });
  }
  return {
    size,
    async *chunks() {
      if (size === 0) return;
      const stream = createReadStream(path, { highWaterMark: FIRMWARE_CHUNK_BYTES, end: size - 1 });
      for await (const chunk of stream) yield chunk as Buffer;
    },
  };
}
