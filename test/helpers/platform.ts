import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { defaultPlatformOptions, type PlatformOptions } from '../../src/config/platform-options.js';
import type { Clock } from '../../src/lib/clock.js';
import { openPlatform, type Platform, type PlatformDeps } from '../../src/platform/platform.js';
import type { PlatformStores } from '../../src/platform/platform-stores.js';
import { openPostgresPlatformStores } from '../../src/platform/postgres/open-postgres-platform.js';
import type { Caller } from '../../src/platform/services.js';
import {
  openSqlitePlatformStores,
  type SqlitePlatformStores,
} from '../../src/platform/sqlite/open-sqlite-platform.js';
import { FakeClock } from './channel-harness.js';
import { freshDatabase } from './postgres.js';
import { testBackend } from './test-backend.js';

/**
 * The platform's stores on the test backend (test-backend.ts): SQLite in memory (or in `file`),
 * or a fresh PostgreSQL database when DEVGATE_TEST_BACKEND=postgres and a test context is given.
 */
async function testStores(
  t: TestContext | undefined,
  tokenKey: Buffer,
  file: string | undefined,
  onDrop: () => Promise<unknown>,
): Promise<PlatformStores> {
  if (testBackend === 'sqlite' || t === undefined || file !== undefined) {
    return openSqlitePlatformStores(file ?? ':memory:', { tokenKey });
  }
  const url = await freshDatabase(t, async () => {
    await onDrop();
  });
  return openPostgresPlatformStores(url, { tokenKey });
}

/** A platform on the test backend (in-memory SQLite unless told otherwise), closed after the test. */
export async function openTestPlatform(
  t: TestContext | undefined,
  overrides: { options?: Partial<PlatformOptions>; clock?: Clock; file?: string } = {},
): Promise<Platform> {
  const tokenKey = randomBytes(32);
  let opened: Platform | undefined;
  const platform = await openPlatform({
    stores: await testStores(t, tokenKey, overrides.file, async () => opened?.close()),
    options: { ...defaultPlatformOptions, ...overrides.options },
    logger: pino({ level: 'silent' }),
    tokenKey,
    ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
  });
  opened = platform;
  t?.after(() => platform.close());
  return platform;
}

/** Service dependencies with the SQLite stores they are meant to be built on. */
export interface TestPlatformDeps extends PlatformDeps {
  readonly stores: SqlitePlatformStores;
  /** The stores' connection, for tests that look at rows directly. */
  readonly db: Database;
}

/**
 * The dependencies the platform services are built from, with the stores on a real platform
 * database (in-memory unless `file` is given; every migration applied), closed after the test.
 */
export function openPlatformDeps(
  t: TestContext,
  overrides: { options?: Partial<PlatformOptions>; clock?: Clock; file?: string } = {},
): TestPlatformDeps {
  const tokenKey = randomBytes(32);
  const stores = openSqlitePlatformStores(overrides.file ?? ':memory:', { tokenKey });
  t.after(() => stores.close());
  return {
    stores,
    db: stores.database,
    options: { ...defaultPlatformOptions, ...overrides.options },
    clock: overrides.clock ?? new FakeClock(),
    logger: pino({ level: 'silent' }),
    tokenKey,
  };
}

/** A caller acting for `orgId` (as an OAuth client of that org would). */
export function callerFor(orgId: number, actor = 'test'): Caller {
  return { orgId, actor };
}
