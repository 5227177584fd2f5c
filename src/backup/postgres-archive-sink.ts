import type pg from 'pg';
import { keyFingerprint } from '../platform/postgres/key-fingerprint.js';
import { openPlatformPool } from '../platform/postgres/platform-pool.js';
import { StoreError } from '../store/errors.js';
import { engineSchema, migratePg } from '../store/postgres/migrations.js';
import { redactDatabaseUrl } from '../store/postgres/pool.js';
import { ArchiveError, type ArchiveRecord, SpecialKind } from './archive-format.js';
import type { ArchiveSink } from './archive-store.js';
import { TABLES, type TableSpec } from './archive-tables.js';
import {
  type ColumnTypes,
  PG_UNARCHIVED_TABLES,
  pgFailure,
  pgTableOf,
  readColumnTypes,
} from './postgres-archive-tables.js';
import { PgFirmwareWriter } from './postgres-firmware-writer.js';
import { ImportHistoryDays } from './postgres-history-days.js';
import { PgRowWriter } from './postgres-row-writer.js';

const ALL_TABLES = [...TABLES.map(pgTableOf), ...PG_UNARCHIVED_TABLES];

/**
 * Sets the id sequence of every archived table with an identity `id` past both its highest row
 * and the archive's high-water mark, so a new row never reuses an id (not even one of a row
 * deleted before the export). History's `seq` needs nothing: its rows took it from the sequence.
 */
async function advanceSequences(
  client: pg.PoolClient,
  types: ColumnTypes,
  highWater: ReadonlyMap<string, number>,
): Promise<void> {
  for (const table of TABLES) {
    const name = pgTableOf(table);
    if (!table.columns.includes('id') || !types.has(`${name}.id`)) continue;
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, 'id'), greatest(top, 1), top > 0)
         FROM (SELECT greatest(coalesce(max(id), 0), $2::bigint) AS top FROM ${name}) AS t
        WHERE pg_get_serial_sequence($1, 'id') IS NOT NULL`,
      [name, highWater.get(name) ?? 0],
    );
  }
}

/**
 * A PostgreSQL database as an archive sink: the platform and engine schemas are created (or
 * migrated) first, then every write goes into one transaction on one connection, committed at
 * the end or rolled back, so a failed import leaves the database as it was. Archived ids are kept;
 * firmware bytes become `firmware_blobs` rows.
 */
export async function openPostgresArchiveSink(url: string, tokenKey: Buffer): Promise<ArchiveSink> {
  const where = redactDatabaseUrl(url);
  const pool = await openPlatformPool(url, { maxConnections: 1 });
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    await migratePg(client, where, engineSchema);
    const types = await readColumnTypes(client);
    await client.query('BEGIN');
    return sinkOn(client, pool, where, types, tokenKey);
  } catch (err) {
    client?.release(true);
    await pool.end();
    throw err instanceof StoreError ? err : pgFailure(err, where);
  }
}

function sinkOn(
  client: pg.PoolClient,
  pool: pg.Pool,
  where: string,
  types: ColumnTypes,
  tokenKey: Buffer,
): ArchiveSink {
  const rows = new PgRowWriter(client, types);
  const firmware = new PgFirmwareWriter(client);
  const historyDays = new ImportHistoryDays(client);
  const tableOfKind = new Map<string, TableSpec>(TABLES.map((t) => [t.kind, t]));
  const highWater = new Map<string, number>();
  let closed = false;

  async function close(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (closed) return;
    closed = true;
    try {
      await client.query(statement);
      client.release();
    } catch (err) {
      client.release(true);
      if (statement === 'COMMIT') throw err;
    } finally {
      await pool.end();
    }
  }

  function noteHighWater(data: ArchiveRecord['data']): void {
    const table = tableOfKind.get(String(data.entity));
    if (table === undefined || !Number.isSafeInteger(data.last))
      throw new ArchiveError(`idHighWater: unknown entity ${String(data.entity)}`);
    highWater.set(pgTableOf(table), data.last as number);
  }

  async function write(record: ArchiveRecord): Promise<void> {
    if (record.kind === SpecialKind.FirmwareChunk) return firmware.chunk(record.data);
    const table = tableOfKind.get(record.kind);
    if (table !== undefined) {
      await firmware.finish();
      if (table.kind === 'history') await historyDays.ensure(record.data.ts);
      return rows.write(table, record);
    }
    await rows.flush();
    await firmware.finish();
    if (record.kind === SpecialKind.FirmwareFile) return firmware.begin(record.data);
    if (record.kind === SpecialKind.IdHighWater) return noteHighWater(record.data);
    throw new ArchiveError(`unknown record kind "${record.kind}"`);
  }

  /** Runs `work`, reporting a failure as the backup commands do. */
  const guarded =
    <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await work(...args);
      } catch (err) {
        throw pgFailure(err, where);
      }
    };

  return {
    target: where,
    get firmwareFiles() {
      return firmware.files;
    },
    isEmpty: guarded(async () => {
      const sql = `SELECT ${ALL_TABLES.map((t) => `NOT EXISTS (SELECT 1 FROM ${t})`).join(' AND ')} AS empty`;
      return (await client.query<{ empty: boolean }>(sql)).rows[0]?.empty === true;
    }),
    // TRUNCATE is transactional on PostgreSQL: a failed import keeps the old data.
    clear: guarded(async () => {
      await client.query(`TRUNCATE ${ALL_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
    }),
    write: guarded(write),
    commit: guarded(async () => {
      await rows.flush();
      await firmware.finish();
      await advanceSequences(client, types, highWater);
      // The tokens just written are sealed under this key: the database now belongs to it, and a
      // server started with another key is refused (decision 0023).
      await client.query(
        `INSERT INTO platform_key (fingerprint) VALUES ($1)
         ON CONFLICT (one) DO UPDATE SET fingerprint = excluded.fingerprint`,
        [keyFingerprint(tokenKey)],
      );
      await close('COMMIT');
    }),
    abort: () => close('ROLLBACK'),
  };
}
