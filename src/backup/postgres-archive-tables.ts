import type pg from 'pg';
import { StoreUnavailableError } from '../store/errors.js';
import { ArchiveError } from './archive-format.js';
import type { TableSpec } from './archive-tables.js';

/**
 * Where the archive's tables live on PostgreSQL. Platform tables carry the SQLite names; the
 * engine's are prefixed `engine_` (they share the database with the platform's).
 */
export function pgTableOf(table: TableSpec): string {
  return table.database === 'engine' ? `engine_${table.table}` : table.table;
}

/**
 * Tables devgate keeps on PostgreSQL beside the archived ones: emptied by --force, checked by
 * isEmpty. Console sessions are not archived: an imported platform starts signed out.
 */
export const PG_UNARCHIVED_TABLES = ['firmware_blobs', 'device_uploads', 'user_sessions'] as const;

/** Column types of the current schema, keyed `table.column` (e.g. `boolean`, `jsonb`, `bytea`). */
export type ColumnTypes = ReadonlyMap<string, string>;

export async function readColumnTypes(client: pg.PoolClient): Promise<ColumnTypes> {
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema()`,
  );
  return new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row.data_type]));
}

/**
 * The table's `orderBy` with text columns compared bytewise (COLLATE "C"), the order SQLite's
 * BINARY collation gives: the same rows are archived in the same order from either backend.
 */
export function pgOrderBy(table: TableSpec, types: ColumnTypes): string {
  return table.orderBy
    .split(',')
    .map((column) => column.trim())
    .map((column) =>
      types.get(`${pgTableOf(table)}.${column}`) === 'text' ? `${column} COLLATE "C"` : column,
    )
    .join(', ');
}

/** The schema version a version table records; undefined when the table does not exist. */
export async function schemaVersion(
  client: pg.PoolClient,
  versionTable: string,
): Promise<number | undefined> {
  const { rows } = await client.query<{ present: string | null }>('SELECT to_regclass($1)::text AS present', [
    versionTable,
  ]);
  if (rows[0]?.present === null || rows[0]?.present === undefined) return undefined;
  const version = await client.query<{ version: number }>(`SELECT version FROM ${versionTable}`);
  return version.rows[0]?.version ?? 0;
}

/**
 * A failed query as the backup commands report it: data the schema refuses (SQLSTATE class 22,
 * data exception, or 23, integrity violation: a row naming a missing one, a duplicate key) is the
 * archive's fault; anything else is the database's (unreachable, refused, dropped connection).
 */
export function pgFailure(err: unknown, where: string): Error {
  if (err instanceof ArchiveError || err instanceof StoreUnavailableError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23')))
    return new ArchiveError(`the archive's records do not fit together: ${(err as Error).message}`, {
      cause: err,
    });
  return new StoreUnavailableError(where, { cause: err });
}
