import { createHmac } from 'node:crypto';
import type pg from 'pg';
import { StoreKeyMismatchError } from '../../store/errors.js';

/** A one-way tag of the key: shows which key it is without revealing or weakening it. */
export function keyFingerprint(tokenKey: Buffer): string {
  return createHmac('sha256', tokenKey).update('devgate platform key fingerprint').digest('hex');
}

/**
 * Records the key on a new database; on one that has a key already, refuses any other
 * (StoreKeyMismatchError), so no process seals tokens the others cannot open.
 */
export async function checkPlatformKey(pool: pg.Pool, tokenKey: Buffer, where: string): Promise<void> {
  const fingerprint = keyFingerprint(tokenKey);
  const { rows } = await pool.query<{ fingerprint: string }>(
    `WITH added AS (
       INSERT INTO platform_key (fingerprint) VALUES ($1) ON CONFLICT (one) DO NOTHING RETURNING fingerprint
     )
     SELECT fingerprint FROM added UNION ALL SELECT fingerprint FROM platform_key`,
    [fingerprint],
  );
  if (rows.some((row) => row.fingerprint !== fingerprint)) throw new StoreKeyMismatchError(where);
}
