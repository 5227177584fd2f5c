import { createHash } from 'node:crypto';

/** spec §2.2: gateways log in with client id + secret; a short cache spares them a scrypt each time. */
export const VERIFY_CACHE_MAX = 1000;
export const VERIFY_CACHE_TTL_MS = 60_000;

interface Entry {
  readonly clientId: string;
  /** The stored hash that was checked: a hit only counts while the client still has it. */
  readonly secretHash: string;
  readonly expiresAt: number;
}

/**
 * Remembers successful client secret checks for a short time, keyed by sha256 of id and secret
 * (the secret itself is never kept). Bounded: the oldest entry goes when full; a hit moves an
 * entry to the young end.
 */
export class VerifyCache {
  readonly #entries = new Map<string, Entry>();
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

  /** The stored hash a fresh entry vouches for; undefined when absent or expired. */
  get(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, clientId: string, secretHash: string): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { clientId, secretHash, expiresAt: this.#now() + this.#ttlMs });
  }

  /** Drops every entry of a client (disabled or deleted). */
  invalidate(clientId: string): void {
    for (const [key, entry] of this.#entries) if (entry.clientId === clientId) this.#entries.delete(key);
  }
}
