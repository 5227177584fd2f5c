import pg from 'pg';
import type { Logger } from 'pino';

export interface PoolOptions {
  readonly logger?: Logger;
  /** Connections at most: one for the write path, the rest for loads. Default 4. */
  readonly maxConnections?: number;
  /** Give up on a new connection after this long. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /**
   * A query (or transaction statement) without an answer after this long fails, so a stalled
   * database surfaces as an error (CONNECT 0x88, HTTP 503) rather than a hang. Default: none.
   */
  readonly queryTimeoutMs?: number;
  /** Who is logging (e.g. 'engine store', 'platform store'). Default 'engine store'. */
  readonly name?: string;
  /**
   * Read `bigint` columns as JS numbers instead of strings. Safe where every value is an id or an
   * epoch-ms time, far below 2^53.
   */
  readonly bigintAsNumber?: boolean;
}

/** `bigint` (int8, OID 20) as a number; every other type as the driver parses it. */
const bigintAsNumber: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

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
    ...(options.bigintAsNumber === true && { types: bigintAsNumber }),
    ...(options.queryTimeoutMs !== undefined && { query_timeout: options.queryTimeoutMs }),
  });
  const name = options.name ?? 'engine store';
  pool.on('error', (err) => {
    options.logger?.warn({ err }, `${name}: an idle PostgreSQL connection failed; it will be replaced`);
  });
  // A connection lost while checked out fails its query (the caller handles that) and also emits
  // 'error' on the client, which the pool only listens to while the client is idle.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      options.logger?.debug({ err }, `${name}: a PostgreSQL connection in use failed`);
    });
  });
  return pool;
}
