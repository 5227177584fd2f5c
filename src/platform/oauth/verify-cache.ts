import { createHash } from 'node:crypto';

/** spec §2.2: gateways log in with client id + secret; a short cache spares them a scrypt each time. */
export const VERIFY_CACHE_MAX = 1000;
export const VERIFY_CACHE_TTL_MS = 60_000;

/** Bearer tokens (spec §6.3) are re-read after this long at the most: a disabled client is dropped at once. */
export const BEARER_CACHE_MAX = 10_000;
export const BEARER_CACHE_TTL_MS = 5000;

interface Entry<V> {
  /** The client's numeric id as text: what a change notification names. */
  readonly clientId: string;
  /** What was checked: a stored secret hash (a hit only counts while the client still has it), a caller. */
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * Remembers successful checks of one OAuth client's credentials for a short time: client secrets
 * keyed by sha256 of id and secret, bearer tokens by sha256 of the token (no secret is kept).
 * Bounded: the oldest entry goes when full; a hit moves an entry to the young end. Every entry of
 * a client goes when it is disabled or deleted.
 */
export class VerifyCache<V = string> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #now: () => number;
  readonly #max: number;
  readonly #ttlMs: number;

  constructor(now: () => number, max = VERIFY_CACHE_MAX, ttlMs = VERIFY_CACHE_TTL_MS) {
    this.#now = now;
    this.#max = max;
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  static key(clientId: string, secret: string): string {
    // NUL separates the parts: no id/secret split can collide with another.
    return createHash('sha256').update(clientId).update('\0').update(secret).digest('hex');
  }

  /** A fresh entry; undefined when absent or expired. */
  get(key: string): Entry<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Remembers `value` for `ttlMs` (default: the cache's), never longer. */
  set(key: string, clientId: string, value: V, ttlMs = this.#ttlMs): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { clientId, value, expiresAt: this.#now() + Math.min(ttlMs, this.#ttlMs) });
  }

  /** Drops every entry of a client (disabled or deleted). */
  invalidate(clientId: string): void {
    for (const [key, entry] of this.#entries) if (entry.clientId === clientId) this.#entries.delete(key);
  }

  /** Drops every entry (the process may have missed changes). */
  clear(): void {
    this.#entries.clear();
  }
}
