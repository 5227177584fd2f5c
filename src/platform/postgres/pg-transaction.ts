import type pg from 'pg';
import { inTransaction } from '../../store/postgres/migrations.js';

/** Runs `work` on one pooled connection between BEGIN and COMMIT (ROLLBACK and rethrow on failure). */
export async function withPgTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => work(client));
  } finally {
    client.release();
  }
}

/**
 * Takes a transaction-scoped advisory lock on (`namespace`, `id`) for each id, in ascending order
 * (two transactions locking overlapping sets cannot deadlock). Ids fold onto 31 bits: two ids
 * sharing a lock only wait for each other.
 */
export async function lockIds(
  client: pg.PoolClient,
  namespace: number,
  ids: readonly number[],
): Promise<void> {
  const sorted = [...new Set(ids.map((id) => id % 2_147_483_647))].sort((a, b) => a - b);
  // One round trip: unnest yields the keys in array order, so the locks are taken in that order.
  await client.query('SELECT count(pg_advisory_xact_lock($1::int, k)) FROM unnest($2::int[]) AS u(k)', [
    namespace,
    sorted,
  ]);
}
