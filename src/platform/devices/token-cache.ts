import type { Device } from '../model.js';

/** spec brief: at most this many authenticated tokens are remembered. */
export const defaultTokenCacheSize = 100_000;

/** One cached device, linked into the recency list (oldest at the head). */
interface Entry {
  readonly hash: string;
  device: Device;
  older: Entry | undefined;
  newer: Entry | undefined;
}

/**
 * token hash → device, for the device/gateway APIs' authentication on every connect, and device id
 * → device for their uplinks. Bounded: the least recently used entry goes first. Any change to a
 * device drops (or refreshes) its entry.
 *
 * Recency is a linked list, not Map re-insertion: a hit runs on every uplink, and deleting and
 * re-adding the same Map key over and over (one gateway device, peeked per publish) leaves V8's
 * hash chains full of dead entries, which made each hit cost tens of microseconds.
 */
export class TokenCache {
  readonly #max: number;
  readonly #byHash = new Map<string, Entry>();
  readonly #byId = new Map<number, Entry>();
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #generation = 0;

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
    const entry = this.#byHash.get(tokenHash);
    return entry === undefined ? undefined : this.#touch(entry).device;
  }

  set(tokenHash: string, device: Device, generation = this.#generation): void {
    if (generation !== this.#generation) return;
    this.#drop(this.#byId.get(device.id));
    this.#drop(this.#byHash.get(tokenHash));
    while (this.#byHash.size >= this.#max && this.#oldest !== undefined) this.#drop(this.#oldest);
    const entry: Entry = { hash: tokenHash, device, older: this.#newest, newer: undefined };
    this.#link(entry);
    this.#byHash.set(tokenHash, entry);
    this.#byId.set(device.id, entry);
  }

  /**
   * The cached device with this id (marked recently used), or undefined when not cached. As
   * current as `get`: every change to a device refreshes or drops its entry.
   */
  byId(deviceId: number): Device | undefined {
    const entry = this.#byId.get(deviceId);
    return entry === undefined ? undefined : this.#touch(entry).device;
  }

  /** Replaces a cached device's snapshot (same token), if it is cached. */
  refresh(device: Device): void {
    this.#generation += 1;
    const entry = this.#byId.get(device.id);
    if (entry !== undefined) entry.device = device;
  }

  /** Forgets a device (token rotated, device or static token deleted). */
  invalidate(deviceId: number): void {
    this.#generation += 1;
    this.#drop(this.#byId.get(deviceId));
  }

  #touch(entry: Entry): Entry {
    if (entry !== this.#newest) {
      this.#unlink(entry);
      entry.older = this.#newest;
      this.#link(entry);
    }
    return entry;
  }

  /** Appends `entry` (its `older` already set to the current newest) as the newest. */
  #link(entry: Entry): void {
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  #drop(entry: Entry | undefined): void {
    if (entry === undefined) return;
    this.#unlink(entry);
    this.#byHash.delete(entry.hash);
    this.#byId.delete(entry.device.id);
  }
}
