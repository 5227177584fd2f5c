import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { defaultPlatformOptions } from '../../src/config/platform-options.js';
import type { PlatformChange } from '../../src/platform/changes/platform-change.js';
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

/**
 * Resolves once `platform` has handled a change matching `match` (its own caches follow a change
 * before any handler subscribed later sees it). Subscribe before making the change.
 */
export function followed(platform: Platform, match: (change: PlatformChange) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const stop = platform.changes.subscribe((change) => {
      if (!match(change)) return;
      stop();
      resolve();
    });
  });
}

/** Matches the change of one entity. */
export const changeOf =
  (kind: PlatformChange['kind'], id?: number) =>
  (change: PlatformChange): boolean =>
    change.kind === kind && (id === undefined || (change.kind !== 'resync' && change.id === id));
