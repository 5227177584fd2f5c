import type { Device } from '../model.js';

/** spec brief: at most this many authenticated tokens are remembered. */
export const defaultTokenCacheSize = 100_000;

/**
 * token hash → device, for the device/gateway APIs' authentication on every connect. Bounded:
 * the least recently used entry goes first. Any change to a device drops (or refreshes) its entry.
 */
export class TokenCache {
  readonly #max: number;
  readonly #byHash = new Map<string, Device>();
  readonly #hashById = new Map<number, string>();
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
    const device = this.#byHash.get(tokenHash);
    if (device !== undefined) {
      // Re-insert to mark as recently used (Map keeps insertion order).
      this.#byHash.delete(tokenHash);
      this.#byHash.set(tokenHash, device);
    }
    return device;
  }

  set(tokenHash: string, device: Device, generation = this.#generation): void {
    if (generation !== this.#generation) return;
    this.#drop(device.id);
    this.#byHash.delete(tokenHash);
    while (this.#byHash.size >= this.#max) {
      const oldest = this.#byHash.entries().next().value;
      if (oldest === undefined) break;
      this.#byHash.delete(oldest[0]);
      this.#hashById.delete(oldest[1].id);
    }
    this.#byHash.set(tokenHash, device);
    this.#hashById.set(device.id, tokenHash);
  }

  /** Replaces a cached device's snapshot (same token), if it is cached. */
  refresh(device: Device): void {
    this.#generation += 1;
    const hash = this.#hashById.get(device.id);
    if (hash !== undefined) this.#byHash.set(hash, device);
  }

  /** Forgets a device (token rotated, device or static token deleted). */
  invalidate(deviceId: number): void {
    this.#generation += 1;
    this.#drop(deviceId);
  }

  #drop(deviceId: number): void {
    const hash = this.#hashById.get(deviceId);
    if (hash === undefined) return;
    this.#hashById.delete(deviceId);
    this.#byHash.delete(hash);
  }
}
