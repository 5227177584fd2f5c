import type { TestContext } from 'node:test';
import { freshDatabase } from './postgres.js';

/**
 * The storage backend the platform suites run on: SQLite unless DEVGATE_TEST_BACKEND=postgres,
 * when every platform a helper opens lives in a fresh PostgreSQL database of the test cluster
 * (DEVGATE_TEST_DATABASE_URL). `.ci/run` runs the storage suites once per backend.
 */
export const testBackend: 'sqlite' | 'postgres' =
  process.env.DEVGATE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/**
 * `devgate start` arguments that put the platform on the test backend: none for SQLite, else
 * `--database-url` of a fresh database, dropped after `beforeDrop` (which closes the server).
 */
export async function backendArgs(t: TestContext, beforeDrop?: () => Promise<unknown>): Promise<string[]> {
  if (testBackend === 'sqlite') return [];
  const url = await freshDatabase(t, async () => {
    await beforeDrop?.();
  });
  return ['--database-url', url];
}
