import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

/** The throwaway cluster's URL (`scripts/test-postgres.sh start DIR` prints one; .ci/run sets it). */
export const testDatabaseUrl = process.env.DEVGATE_TEST_DATABASE_URL;

/** CI sets this: a PostgreSQL suite that would skip fails instead. */
export const postgresRequired = process.env.DEVGATE_REQUIRE_POSTGRES === '1';

export const SKIP_REASON =
  'set DEVGATE_TEST_DATABASE_URL=postgres://… to run the PostgreSQL tests — docs/storage.md, ' +
  '"A throwaway cluster for the tests": scripts/test-postgres.sh start DIR prints one';

/**
 * `test()` options for a PostgreSQL test: skipped with the reason when no cluster is configured,
 * unless DEVGATE_REQUIRE_POSTGRES=1, where the missing URL fails the test (see requireDatabaseUrl).
 */
export function postgresTestOptions(): { skip: string | false } {
  return { skip: testDatabaseUrl === undefined && !postgresRequired ? SKIP_REASON : false };
}

function requireDatabaseUrl(): string {
  if (testDatabaseUrl === undefined) {
    throw new Error(`DEVGATE_REQUIRE_POSTGRES=1 but DEVGATE_TEST_DATABASE_URL is not set: ${SKIP_REASON}`);
  }
  return testDatabaseUrl;
}

/** `base` with its database name replaced. */
function withDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: requireDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database `devgate_test_<random>` on the test cluster, dropped after the test (after
 * `beforeDrop`, which closes whatever still holds connections). Returns its URL.
 */
export async function freshDatabase(t: TestContext, beforeDrop?: () => Promise<void>): Promise<string> {
  const name = `devgate_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  t.after(async () => {
    try {
      await beforeDrop?.();
    } finally {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
  return withDatabase(requireDatabaseUrl(), name);
}

/** Runs `sql` on the database at `url` with one short-lived connection. */
export async function queryAt<R extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
