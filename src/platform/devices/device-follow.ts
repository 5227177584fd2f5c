import { isDeepStrictEqual } from 'node:util';
import type { PlatformChange } from '../changes/platform-change.js';
import type { DeviceStore } from './device-store.js';
import type { TokenCache } from './token-cache.js';

/**
 * Brings the login cache in line with a committed device change (here or in another process).
 * The change is noted at once (a lookup that started before it is not cached). A cached device is
 * then checked against the store by its cached token hash, one read: a rotated token or a deleted
 * device drops the entry; a device that changed is replaced by its new snapshot; one that equals
 * the cached snapshot (this process's own change, already applied) is left alone, so gateways
 * keep their synchronous path. Replacing or dropping moves `changes()`: every gateway connection
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
  const entry = cache.entryOf(change.id);
  cache.noteChanged(change.id);
  if (entry === undefined) return;
  let current: Awaited<ReturnType<DeviceStore['byTokenHash']>>;
  try {
    current = await devices.byTokenHash(entry.tokenHash);
  } catch (err) {
    cache.invalidate(change.id); // unverifiable: not kept
    throw err;
  }
  // Changed again meanwhile (by this process): dropping is always safe, keeping might not be.
  if (current?.id !== change.id || cache.entryOf(change.id)?.device !== entry.device) {
    cache.invalidate(change.id);
  } else if (!isDeepStrictEqual(current, entry.device)) {
    cache.refresh(current);
  }
}
