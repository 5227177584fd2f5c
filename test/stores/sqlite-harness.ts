import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { EngineStores } from '../../src/broker/store-ports.js';
import { openSqliteStores, type SqliteStoreOptions } from '../../src/store/sqlite/open-sqlite-stores.js';
import type { OpenStores } from './fixtures.js';

/** A fresh directory under os.tmpdir(), removed after the test (after `beforeRemove`, if given). */
export function tempDir(t: TestContext, beforeRemove?: () => Promise<void>): string {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-store-'));
  t.after(async () => {
    try {
      await beforeRemove?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}

/** Contract harness: `<tmp>/engine.sqlite`; reopen closes (flushing) and opens the same file. */
export function sqliteHarness(options: SqliteStoreOptions = {}): OpenStores {
  return async (t) => {
    let current: EngineStores | undefined;
    const file = join(
      tempDir(t, () => current?.close() ?? Promise.resolve()),
      'engine.sqlite',
    );
    current = openSqliteStores(file, options);
    return {
      stores: current,
      reopen: async () => {
        await current?.close();
        current = openSqliteStores(file, options);
        return current;
      },
    };
  };
}
