import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { defaultPlatformOptions } from '../../src/config/platform-options.js';
import { openPlatform, type Platform } from '../../src/platform/platform.js';
import {
  openPostgresPlatformStores,
  type PostgresPlatformStores,
} from '../../src/platform/postgres/open-postgres-platform.js';
import { freshDatabase } from './postgres.js';

/** One process's view of the shared database: its platform and the stores under it. */
export interface SharingProcess {
  readonly platform: Platform;
  readonly stores: PostgresPlatformStores;
}

/**
 * Two platforms on one fresh PostgreSQL database with the same secret key, as two devgate
 * processes would be (each its own pool and LISTEN connection); closed after the test. The change
 * feed reconnects quickly here (20 ms doubling to 200 ms) so the reconnection tests run fast.
 */
export async function twoProcesses(
  t: TestContext,
): Promise<{ url: string; a: SharingProcess; b: SharingProcess }> {
  const opened: SharingProcess[] = [];
  const url = await freshDatabase(t, async () => {
    await Promise.all(opened.map((p) => p.platform.close()));
  });
  const tokenKey = randomBytes(32);
  const open = async (): Promise<SharingProcess> => {
    const stores = await openPostgresPlatformStores(url, {
      tokenKey,
      changeFeed: { minBackoffMs: 20, maxBackoffMs: 200 },
    });
    const platform = await openPlatform({
      stores,
      options: defaultPlatformOptions,
      logger: pino({ level: 'silent' }),
      tokenKey,
    });
    opened.push({ platform, stores });
    return { platform, stores };
  };
  const a = await open();
  const b = await open();
  return { url, a, b };
}
