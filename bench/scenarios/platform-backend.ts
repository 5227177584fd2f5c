import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Where `devgate start` keeps the platform in scenarios 2 and 3: the embedded SQLite file in the
 * data directory, or a PostgreSQL database (`--database-url`). The scenarios only see this
 * interface: what to pass to the CLI, and how to count the history rows that prove persistence.
 */
export interface PlatformBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Arguments for `devgate start` and `devgate apply` (besides --data-dir). */
  readonly cliArgs: readonly string[];
  /** A key for cached prepared platforms: one cache per database. */
  readonly cacheKey: string;
  /** History rows stored so far (read after the server stopped: proof of persistence). */
  historyRows(dataDir: string): Promise<number>;
  /** Removes stored values before a case, so each case counts its own rows. */
  clearValues(dataDir: string): Promise<void>;
}

export function sqliteBackend(): PlatformBackend {
  return {
    name: 'sqlite',
    cliArgs: [],
    cacheKey: 'sqlite',
    // A fresh copy of the prepared data directory per case: nothing to clear.
    clearValues: async () => {},
    historyRows: async (dataDir) => sqliteHistoryRows(dataDir),
  };
}

/**
 * PostgreSQL at `url`: the database must be a throwaway one (the bench creates its devices there
 * once per run and truncates the value tables before every case).
 */
export function postgresBackend(url: string): PlatformBackend {
  const query = async (sql: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  // A digest, not the URL: a password in it must not end up in a directory name.
  const cacheKey = `postgres-${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
  // Every devgate on one database shares one token key (the database refuses another).
  const keyFile = join(tmpdir(), 'devgate-bench-cache', `${cacheKey}.key`);
  return {
    name: 'postgres',
    cliArgs: ['--database-url', url, '--secret-key-file', keyFile],
    cacheKey,
    clearValues: async () => {
      await query('TRUNCATE history, current_values');
    },
    historyRows: async () => Number((await query('SELECT count(*) AS n FROM history')).rows[0].n),
  };
}

export function platformBackend(name: string, databaseUrl: string | undefined): PlatformBackend {
  if (name === 'sqlite') return sqliteBackend();
  if (name !== 'postgres') throw new Error(`unknown backend ${name} (sqlite or postgres)`);
  if (databaseUrl === undefined) throw new Error('--backend postgres needs --database-url');
  return postgresBackend(databaseUrl);
}

function sqliteHistoryRows(dataDir: string): number {
  const db = new Database(join(dataDir, 'platform.sqlite'), { readonly: true });
  try {
    // Rows not yet merged from the staging table (schema 5 on) are stored too.
    const staging = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'history_staging'").get();
    const sql =
      staging === undefined
        ? 'SELECT COUNT(*) AS n FROM history'
        : 'SELECT (SELECT COUNT(*) FROM history) + (SELECT COUNT(*) FROM history_staging) AS n';
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
