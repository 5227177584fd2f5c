import type pg from 'pg';
import { platformSchema } from '../platform/postgres/migrations.js';
import { StoreError } from '../store/errors.js';
import { engineSchema, type PgSchema } from '../store/postgres/migrations.js';
import { createPool, redactDatabaseUrl } from '../store/postgres/pool.js';
import { asIs, type Convert, fromJsonText, rowToRecord, toBase64 } from './archive-convert.js';
import { ArchiveError, type ArchiveRecord, FIRMWARE_CHUNK_BYTES, SpecialKind } from './archive-format.js';
import type { ArchiveSource, FirmwareContent } from './archive-store.js';
import { TABLES, type TableSpec } from './archive-tables.js';
import {
  type ColumnTypes,
  pgFailure,
  pgOrderBy,
  pgTableOf,
  readColumnTypes,
  schemaVersion,
} from './postgres-archive-tables.js';

/** Rows per FETCH: few for the engine's tables, whose rows may carry whole messages (bounded memory). */
const FETCH_ROWS = 1000;
const FETCH_ROWS_LARGE = 32;

/** Refuses a database this devgate does not read exactly; true when the schema is there. */
async function checkSchema(
  client: pg.PoolClient,
  where: string,
  schema: PgSchema,
  required: boolean,
): Promise<boolean> {
  const version = await schemaVersion(client, schema.versionTable);
  const expected = schema.steps.length;
  if (version === undefined && !required) return false;
  if (version === undefined)
    throw new ArchiveError(`${where} holds no devgate platform data (no ${schema.versionTable} table)`);
  if (version !== expected)
    throw new ArchiveError(
      `${where} has ${schema.versionTable} version ${version}, this devgate exports version ${expected}: ` +
        (version < expected
          ? 'start this devgate on the database once to migrate it'
          : 'use a newer devgate'),
    );
  return true;
}

/** The archive keeps booleans as SQLite stores them: 1 and 0. */
const fromBoolean: Convert = (value) => (value === true ? 1 : 0);

/** Turns a row into archive fields, as the SQLite source does; built once per table. */
function recordMaker(table: TableSpec, types: ColumnTypes): (row: Record<string, unknown>) => ArchiveRecord {
  return rowToRecord(table, (column) => {
    const type = types.get(`${pgTableOf(table)}.${column}`);
    // jsonb arrives parsed from the driver; JSON kept as text is parsed here.
    const json = type === 'jsonb' || type === 'json' ? asIs : fromJsonText;
    return table.json?.includes(column)
      ? json
      : type === 'bytea'
        ? toBase64
        : type === 'boolean'
          ? fromBoolean
          : asIs;
  });
}

/**
 * A PostgreSQL database (platform and engine schemas) as an archive source. Everything is read in
 * one REPEATABLE READ READ ONLY transaction on one connection: a single consistent snapshot of
 * both schemas while the servers go on writing. Rows stream through a cursor, FETCHed in batches.
 * A database without the engine schema counts as one without sessions (as a missing engine.sqlite).
 */
export async function openPostgresArchiveSource(
  url: string,
  options: { history: boolean },
): Promise<ArchiveSource> {
  const where = redactDatabaseUrl(url);
  const pool = createPool(url, { name: 'export', bigintAsNumber: true, maxConnections: 1 });
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await checkSchema(client, where, platformSchema, true);
    const engine = await checkSchema(client, where, engineSchema, false);
    return await snapshotSource(client, pool, where, { ...options, engine });
  } catch (err) {
    client?.release(true);
    await pool.end();
    throw err instanceof StoreError || err instanceof ArchiveError ? err : pgFailure(err, where);
  }
}

async function countRows(
  client: pg.PoolClient,
  tables: readonly TableSpec[],
): Promise<Record<string, number>> {
  if (tables.length === 0) return {};
  const sql = `SELECT ${tables.map((t, i) => `(SELECT count(*) FROM ${pgTableOf(t)}) AS n${i}`).join(', ')}`;
  const row = (await client.query<Record<string, number>>(sql)).rows[0] ?? {};
  return Object.fromEntries(tables.map((t, i) => [t.kind, Number(row[`n${i}`])]));
}

/** Highest id handed out per table whose sequence was ever used (SQLite's sqlite_sequence). */
async function highWaterRecords(client: pg.PoolClient, types: ColumnTypes): Promise<ArchiveRecord[]> {
  const withIds = TABLES.filter((t) => t.database === 'platform' && types.has(`${t.table}.id`));
  const sql = withIds
    .map(
      (t) =>
        `SELECT '${t.table}' AS name, pg_sequence_last_value(pg_get_serial_sequence('${t.table}', 'id')) AS last`,
    )
    .join(' UNION ALL ');
  const { rows } = await client.query<{ name: string; last: number | null }>(sql);
  const kindOf = new Map(withIds.map((t) => [t.table, t.kind]));
  return rows
    .filter((row) => row.last !== null)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((row) => ({
      kind: SpecialKind.IdHighWater,
      data: { entity: kindOf.get(row.name), last: Number(row.last) },
    }));
}

async function snapshotSource(
  client: pg.PoolClient,
  pool: pg.Pool,
  where: string,
  options: { history: boolean; engine: boolean },
): Promise<ArchiveSource> {
  const types = await readColumnTypes(client);
  const tables = TABLES.filter((t) => options.history || !t.history);
  const present = tables.filter((t) => t.database === 'platform' || options.engine);
  const counts: Record<string, number> = {};
  const found = await countRows(client, present);
  for (const table of tables) counts[table.kind] = found[table.kind] ?? 0;
  const idRecords = await highWaterRecords(client, types);
  counts[SpecialKind.IdHighWater] = idRecords.length;

  async function* rowsOf(table: TableSpec): AsyncGenerator<ArchiveRecord> {
    const toRecord = recordMaker(table, types);
    const batch = table.database === 'engine' ? FETCH_ROWS_LARGE : FETCH_ROWS;
    await client.query(
      `DECLARE archive_rows NO SCROLL CURSOR FOR SELECT ${table.columns.join(', ')} ` +
        `FROM ${pgTableOf(table)} ORDER BY ${pgOrderBy(table, types)}`,
    );
    for (;;) {
      const { rows } = await client.query(`FETCH ${batch} FROM archive_rows`);
      for (const row of rows) yield toRecord(row as Record<string, unknown>);
      if (rows.length < batch) break;
    }
    await client.query('CLOSE archive_rows');
  }

  async function* records(): AsyncGenerator<ArchiveRecord> {
    try {
      for (const table of tables) {
        if (table.database === 'engine' && idRecords.length > 0) yield* idRecords.splice(0);
        if (present.includes(table)) yield* rowsOf(table);
      }
      yield* idRecords.splice(0);
    } catch (err) {
      throw pgFailure(err, where);
    }
  }

  let closed = false;
  return {
    counts,
    records,
    firmware: (sha256) => firmwareBlob(client, where, sha256),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.query('COMMIT');
        client.release();
      } catch {
        client.release(true);
      } finally {
        await pool.end();
      }
    },
  };
}

/** A firmware blob read in archive-sized slices (never whole in memory). */
async function firmwareBlob(client: pg.PoolClient, where: string, sha256: string): Promise<FirmwareContent> {
  const found = await client
    .query<{ size: number }>('SELECT octet_length(bytes) AS size FROM firmware_blobs WHERE sha256 = $1', [
      sha256,
    ])
    .catch((err: unknown) => {
      throw pgFailure(err, where);
    });
  const size = found.rows[0]?.size;
  if (size === undefined)
    throw new ArchiveError(`firmware ${sha256} has no bytes in firmware_blobs (deleted during the export?)`);
  return {
    size,
    async *chunks() {
      for (let offset = 0; offset < size; offset += FIRMWARE_CHUNK_BYTES) {
        const { rows } = await client
          .query<{ chunk: Buffer }>(
            'SELECT substring(bytes FROM $2 FOR $3) AS chunk FROM firmware_blobs WHERE sha256 = $1',
            [sha256, offset + 1, FIRMWARE_CHUNK_BYTES],
          )
          .catch((err: unknown) => {
            throw pgFailure(err, where);
          });
        const chunk = rows[0]?.chunk;
        if (chunk === undefined) throw new ArchiveError(`firmware ${sha256} vanished during the export`);
        yield chunk;
      }
    },
  };
}
