import { isDeepStrictEqual } from 'node:util';
import type { PlatformChange } from '../changes/platform-change.js';
import type { Device } from '../model.js';
import type { DeviceStore } from './device-store.js';
import type { TokenCache } from './token-cache.js';

/** Reads at most this many times while this process keeps replacing the same device meanwhile. */
const VERIFY_ATTEMPTS = 3;

/**
 * Brings the login cache in line with a committed device change (here or in another process).
 * The change is noted at once (a lookup that started before it is not cached). A cached device is
 * then checked against the store by its cached token hash, one read: a rotated token or a deleted
 * device drops the entry; a device that changed is replaced by its new snapshot; one that equals
 * the cached snapshot (this process's own change, already applied) is left alone, so gateways
 * keep their synchronous path. The read starts after the snapshot was taken: equal means current
 * as of a moment after this change's commit (a later change brings its own notification). Replacing or dropping moves `changes()`: every gateway connection
 * re-checks what it noted, and a device moved out of its scope is refused and no longer delivered
 * to. A resync forgets every device.
 */
export async function followDeviceChange(
  cache: TokenCache,
  devices: DeviceStore,
  change: PlatformChange,
): Promise<void> {
  if (change.kind === 'resync') {
    cache.clear();
    return;
  }
  if (change.kind !== 'device') return;
  cache.noteChanged(change.id);
  for (let attempt = 0; attempt < VERIFY_ATTEMPTS; attempt++) {
    const entry = cache.entryOf(change.id);
    if (entry === undefined) return;
    let current: Device | undefined;
    try {
      current = await devices.byTokenHash(entry.tokenHash);
    } catch (err) {
      cache.invalidate(change.id); // unverifiable: not kept
      throw err;
    }
    // Replaced meanwhile (this process changed it): check the new snapshot against a fresh read.
    if (cache.entryOf(change.id)?.device !== entry.device) continue;
    if (current?.id !== change.id) cache.invalidate(change.id);
    else if (!isDeepStrictEqual(current, entry.device)) cache.refresh(current);
    return;
  }
  cache.invalidate(change.id); // still changing: dropping is always safe
}
