import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { defaultPlatformOptions, type PlatformOptions } from '../../src/config/platform-options.js';
import type { Clock } from '../../src/lib/clock.js';
import { openPlatform, type Platform, type PlatformDeps } from '../../src/platform/platform.js';
import type { Caller } from '../../src/platform/services.js';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { FakeClock } from './channel-harness.js';

/** A platform on an in-memory SQLite database, closed after the test. */
export async function openTestPlatform(
  t: TestContext | undefined,
  overrides: { options?: Partial<PlatformOptions>; clock?: Clock; file?: string } = {},
): Promise<Platform> {
  const platform = await openPlatform({
    file: overrides.file ?? ':memory:',
    options: { ...defaultPlatformOptions, ...overrides.options },
    logger: pino({ level: 'silent' }),
    tokenKey: randomBytes(32),
    ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
  });
  t?.after(() => platform.close());
  return platform;
}

/**
 * The dependencies the platform services are built from, on a real platform database (in-memory
 * unless `file` is given; every migration applied), closed after the test.
 */
export function openPlatformDeps(
  t: TestContext,
  overrides: { options?: Partial<PlatformOptions>; clock?: Clock; file?: string } = {},
): PlatformDeps {
  const db = openPlatformDatabase(overrides.file ?? ':memory:');
  t.after(() => db.close());
  return {
    db,
    options: { ...defaultPlatformOptions, ...overrides.options },
    clock: overrides.clock ?? new FakeClock(),
    logger: pino({ level: 'silent' }),
    tokenKey: randomBytes(32),
  };
}

/** A caller acting for `orgId` (as an OAuth client of that org would). */
export function callerFor(orgId: number, actor = 'test'): Caller {
  return { orgId, actor };
}
