import { LruMap } from '../../lib/lru-map.js';
import type { Device } from '../model.js';

/** spec brief: at most this many authenticated tokens are remembered. */
export const defaultTokenCacheSize = 100_000;

/**
 * token hash → device, for the device/gateway APIs' authentication on every connect, and device id
 * → device for their uplinks. Bounded: the least recently used entry goes first. Any change to a
 * device drops (or refreshes) its entry.
 *
 * Each cached device is a snapshot object read from the store for that entry, cached under one
 * token hash only; a change replaces it with another object or drops it. So a caller that kept
 * the object it got for a token may check that the token still names that device, as it is
 * now, with `byId(id) === kept` (the gateway's device book does, instead of hashing the token).
 *
 * Recency is an LruMap (a linked list), not Map re-insertion: a hit runs on every uplink, and
 * deleting and re-adding the same Map key over and over (one gateway device, peeked per publish)
 * leaves V8's hash chains full of dead entries, which made each hit cost tens of microseconds.
 */
export class TokenCache {
  readonly #max: number;
  readonly #byHash = new LruMap<string, Device>();
  readonly #hashById = new Map<number, string>();
  #generation = 0;
  /**
   * The generation of each device's last change, so a lookup is refused only when its own device
   * changed meanwhile: with an asynchronous store many logins overlap, and other devices'
   * changes (a connect time recorded) must not keep them all out of the cache. Bounded: when it
   * grows past the cache size it is emptied and `#floor` refuses every lookup older than that.
   */
  readonly #changedAt = new Map<number, number>();
  #floor = 0;

  constructor(max = defaultTokenCacheSize) {
    this.#max = Math.max(1, max);
  }

  get size(): number {
    return this.#byHash.size;
  }

  /**
   * Bumped by every refresh/invalidate. A lookup notes it before reading the store and passes it
   * to `set`, so a device read before a concurrent change (rotation, transfer) is never cached.
   */
  get generation(): number {
    return this.#generation;
  }

  get(tokenHash: string): Device | undefined {
    return this.#byHash.touch(tokenHash);
  }

  set(tokenHash: string, device: Device, generation = this.#generation): void {
    if (generation < this.#floor || (this.#changedAt.get(device.id) ?? 0) > generation) return;
    this.#drop(device.id);
    const previous = this.#byHash.get(tokenHash);
    if (previous !== undefined) this.#drop(previous.id);
    while (this.#byHash.size >= this.#max) {
      const oldest = this.#byHash.oldest();
      if (oldest === undefined) break;
      this.#drop(this.#byHash.get(oldest)!.id);
    }
    this.#byHash.set(tokenHash, device);
    this.#hashById.set(device.id, tokenHash);
  }

  /**
   * The cached device with this id (marked recently used), or undefined when not cached. As
   * current as `get`: every change to a device refreshes or drops its entry.
   */
  byId(deviceId: number): Device | undefined {
    const hash = this.#hashById.get(deviceId);
    return hash === undefined ? undefined : this.#byHash.touch(hash);
  }

  /** A device's entry (token hash and snapshot) without marking it used; undefined when not cached. */
  entryOf(deviceId: number): { readonly tokenHash: string; readonly device: Device } | undefined {
    const tokenHash = this.#hashById.get(deviceId);
    const device = tokenHash === undefined ? undefined : this.#byHash.get(tokenHash);
    return device === undefined || tokenHash === undefined ? undefined : { tokenHash, device };
  }

  /**
   * Notes that a device changed (a committed change seen by the change feed) without touching its
   * entry: a lookup that started before is not cached.
   */
  noteChanged(deviceId: number): void {
    this.#changed(deviceId);
  }

  /** Replaces a cached device's snapshot (same token), if it is cached; its recency stays. */
  refresh(device: Device): void {
    this.#changed(device.id);
    const hash = this.#hashById.get(device.id);
    if (hash !== undefined) this.#byHash.replace(hash, device);
  }

  /** Forgets a device (token rotated, device or static token deleted). */
  invalidate(deviceId: number): void {
    this.#changed(deviceId);
    this.#drop(deviceId);
  }

  /**
   * Forgets every device (the process may have missed changes: its change feed reconnected), and
   * refuses every lookup that started before.
   */
  clear(): void {
    this.#generation += 1;
    this.#floor = this.#generation;
    this.#changedAt.clear();
    this.#byHash.clear();
    this.#hashById.clear();
  }

  #changed(deviceId: number): void {
    this.#generation += 1;
    if (this.#changedAt.size >= this.#max) {
      this.#changedAt.clear();
      this.#floor = this.#generation;
    }
    this.#changedAt.set(deviceId, this.#generation);
  }

  #drop(deviceId: number): void {
    const hash = this.#hashById.get(deviceId);
    if (hash === undefined) return;
    this.#hashById.delete(deviceId);
    this.#byHash.delete(hash);
  }
}
