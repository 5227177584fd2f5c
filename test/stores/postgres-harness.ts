import type { TestContext } from 'node:test';
import {
  openPostgresStores,
  type PostgresStoreOptions,
} from '../../src/store/postgres/open-postgres-stores.js';
import type { EngineStores } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/postgres.js';
import type { OpenStores } from './fixtures.js';

/** Contract harness: a fresh database per test; reopen closes (flushing) and opens the same one. */
export function postgresHarness(options: PostgresStoreOptions = {}): OpenStores {
  return async (t: TestContext) => {
    let current: EngineStores | undefined;
    const url = await freshDatabase(t, () => current?.close() ?? Promise.resolve());
    current = await openPostgresStores(url, options);
    return {
      stores: current,
      reopen: async () => {
        await current?.close();
        current = await openPostgresStores(url, options);
        return current;
      },
    };
  };
}
