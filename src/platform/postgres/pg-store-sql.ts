import pg from 'pg';
import { inTransaction } from '../../store/postgres/migrations.js';
import type { Page } from '../model.js';

/** SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';
/** SQLSTATE of a foreign-key violation. */
export const FOREIGN_KEY_VIOLATION = '23503';

/** SQLSTATE of an error PostgreSQL reported; undefined for a driver or connection failure. */
export function sqlState(err: unknown): string | undefined {
  // Socket errors carry a `code` too (EPIPE, ECONNRESET): only the server's errors count here.
  return err instanceof pg.DatabaseError ? err.code : undefined;
}

/** Whether `err` is PostgreSQL's answer `sqlState` (optionally on the named constraint). */
export function isPgError(err: unknown, sqlState: string, constraint?: string): boolean {
  return (
    err instanceof pg.DatabaseError &&
    err.code === sqlState &&
    (constraint === undefined || err.constraint === constraint)
  );
}

/**
 * `work` on one pooled connection between BEGIN and COMMIT. A connection that failed below SQL
 * (no SQLSTATE) is discarded rather than handed back to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await inTransaction(client, () => work(client));
  } catch (err) {
    if (sqlState(err) === undefined && err instanceof Error) broken = err;
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * One page of the rows `scoped` selects (they need an `id` column), ordered by id, and the count
 * of them all, in one statement. `params` are `scoped`'s; offset and limit are appended.
 */
export async function selectPage<Row extends { id: number }>(
  pool: pg.Pool,
  scoped: string,
  params: readonly unknown[],
  bounds: { offset: number; limit: number },
): Promise<Page<Row>> {
  const n = params.length;
  // The count is one row that always exists; the page joins it, so an empty page still counts.
  const { rows } = await pool.query<Row & { total_elements: number }>(
    `WITH scoped AS (${scoped})
     SELECT page.*, total.n AS total_elements FROM (SELECT count(*) AS n FROM scoped) total
     LEFT JOIN LATERAL (SELECT * FROM scoped ORDER BY id LIMIT $${n + 1} OFFSET $${n + 2}) page ON true
     ORDER BY page.id`,
    [...params, bounds.limit, bounds.offset],
  );
  const content = rows
    .filter((row) => row.id !== null)
    .map(({ total_elements: _n, ...row }) => row as unknown as Row);
  return { content, totalElements: rows[0]?.total_elements ?? 0 };
}
