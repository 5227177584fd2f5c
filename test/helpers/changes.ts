import type { PlatformChange } from '../../src/platform/changes/platform-change.js';
import type { Platform } from '../../src/platform/platform.js';

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
