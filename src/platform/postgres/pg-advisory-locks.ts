import type pg from 'pg';

/**
 * Takes a transaction-scoped advisory lock on (`namespace`, `id`) for each id, in ascending order,
 * so two transactions locking overlapping sets cannot deadlock. Ids fold onto 31 bits: two ids
 * sharing a lock only wait for each other. One round trip: unnest yields the keys in array order.
 */
export async function lockIds(
  client: pg.PoolClient,
  namespace: number,
  ids: readonly number[],
): Promise<void> {
  const keys = [...new Set(ids.map((id) => id % 2_147_483_647))].sort((a, b) => a - b);
  await client.query('SELECT count(pg_advisory_xact_lock($1::int, k)) FROM unnest($2::int[]) AS u(k)', [
    namespace,
    keys,
  ]);
}
