import type pg from 'pg';

/**
 * PostgreSQL platform schema step 6: the fingerprint of the secret key the database's tokens are
 * sealed with. Processes sharing the database must share the key; one started with another key
 * is refused before it can seal anything under it.
 */
export function keyCheckSchema(client: pg.PoolClient): Promise<unknown> {
  return client.query(`
    CREATE TABLE platform_key (
      one         boolean PRIMARY KEY DEFAULT true CHECK (one), -- a single row
      fingerprint text NOT NULL -- sha256 hex of a derivation of the key, never the key
    );
  `);
}
