import pg from 'pg';
import type { Logger } from 'pino';

export interface PoolOptions {
  readonly logger?: Logger;
  /** Connections at most: one for the write path, the rest for loads. Default 4. */
  readonly maxConnections?: number;
  /** Give up on a new connection after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
}

/** The URL as safe to log: the password replaced, everything else kept. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '****';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/**
 * A bounded pool. A connection that PostgreSQL drops (a restart, a terminated backend) emits
 * 'error'; without a listener that error would crash the process, so it is logged, and the pool
 * opens a fresh connection on the next query.
 */
export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'devgate',
  });
  pool.on('error', (err) => {
    options.logger?.warn({ err }, 'engine store: an idle PostgreSQL connection failed; it will be replaced');
  });
  // A connection lost while checked out fails its query (the caller handles that) and also emits
  // 'error' on the client, which the pool only listens to while the client is idle.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      options.logger?.debug({ err }, 'engine store: a PostgreSQL connection in use failed');
    });
  });
  return pool;
}
