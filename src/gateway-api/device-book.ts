import { LruMap } from '../platform/lru-map.js';

/** What one gateway connection knows about one target token. */
interface Entry {
  readonly deviceId: number;
  /** Wire filters subscribed with this token (kept while the broker still has them); made on the first. */
  filters: Set<string> | undefined;
  /** Last `dev/{token}/downlink/diag` sent (ms), for throttling. */
  diagAt: number;
}

const NO_FILTERS: ReadonlySet<string> = new Set();

/** Tokens used only for publishing that one connection remembers (for the replies' topics). */
export const RECENT_TOKENS_MAX = 4096;

/**
 * One gateway connection's map between target tokens and device ids: id → token turns internal
 * `$dev/{id}/downlink/…` back into `dev/{token}/downlink/…`. Tokens with subscriptions stay as
 * long as the subscriptions do; tokens only published for are bounded (least recently used go).
 * Only ever holds tokens the client itself sent.
 */
export class DeviceBook {
  readonly #subscribed = new Map<string, Entry>();
  /** Publish-only tokens, least recently used first out. */
  readonly #recent = new LruMap<string, Entry>();
  readonly #tokenOf = new Map<number, string>();
  readonly #recentMax: number;
  #filterCount = 0;

  constructor(recentMax = RECENT_TOKENS_MAX) {
    this.#recentMax = Math.max(1, recentMax);
  }

  /** Subscribed filters tracked (may include ones the client has since unsubscribed). */
  get filterCount(): number {
    return this.#filterCount;
  }

  get size(): number {
    return this.#subscribed.size + this.#recent.size;
  }

  /** The token this connection last used for `deviceId`. */
  tokenFor(deviceId: number): string | undefined {
    return this.#tokenOf.get(deviceId);
  }

  /** A publish for `token` (resolved to `deviceId`) went through. */
  noteUse(token: string, deviceId: number): void {
    const pinned = this.#subscribed.get(token);
    if (pinned?.deviceId === deviceId) {
      this.#tokenOf.set(deviceId, token);
      return;
    }
    const entry = this.#recent.get(token);
    this.#recent.set(token, entry?.deviceId === deviceId ? entry : newEntry(deviceId));
    this.#tokenOf.set(deviceId, token);
    this.#evict();
  }

  /** A subscription `filter` for `token` (resolved to `deviceId`) is being granted. */
  addFilter(token: string, deviceId: number, filter: string): void {
    let entry = this.#subscribed.get(token);
    if (entry?.deviceId !== deviceId) {
      if (entry !== undefined) this.#forget(token, this.#subscribed);
      entry = this.#recent.get(token);
      this.#recent.delete(token);
      entry = entry?.deviceId === deviceId ? entry : newEntry(deviceId);
      this.#subscribed.set(token, entry);
    }
    entry.filters ??= new Set();
    if (!entry.filters.has(filter)) {
      entry.filters.add(filter);
      this.#filterCount++;
    }
    this.#tokenOf.set(deviceId, token);
  }

  /** Forgets `token` entirely; returns the filters to unsubscribe. */
  revoke(token: string): string[] {
    const entry = this.#subscribed.get(token) ?? this.#recent.get(token);
    if (entry === undefined) return [];
    const filters = [...(entry.filters ?? NO_FILTERS)];
    this.#forget(token, this.#subscribed);
    this.#forget(token, this.#recent);
    return filters;
  }

  /** Drops filters the broker no longer holds (the client unsubscribed); bounds memory. */
  prune(isLive: (filter: string) => boolean): void {
    for (const [token, entry] of this.#subscribed) {
      const filters = entry.filters ?? new Set<string>();
      for (const filter of filters) {
        if (isLive(filter)) continue;
        filters.delete(filter);
        this.#filterCount--;
      }
      if (filters.size === 0) {
        this.#subscribed.delete(token);
        this.#recent.set(token, entry);
      }
    }
    this.#evict();
  }

  /** The wire filters subscribed with `token`. */
  filtersOf(token: string): ReadonlySet<string> {
    return this.#subscribed.get(token)?.filters ?? NO_FILTERS;
  }

  /** True (and the time noted) when a diag for `token` may go out now. */
  mayDiag(token: string, now: number, intervalMs: number): boolean {
    const entry = this.#subscribed.get(token) ?? this.#recent.get(token);
    if (entry === undefined) return false;
    if (now - entry.diagAt < intervalMs) return false;
    entry.diagAt = now;
    return true;
  }

  /** Every subscribed token with its device id. */
  subscribedTokens(): Array<{ token: string; deviceId: number }> {
    return [...this.#subscribed].map(([token, entry]) => ({ token, deviceId: entry.deviceId }));
  }

  /** Publish-only tokens beyond the bound go, least recently used first. */
  #evict(): void {
    while (this.#recent.size > this.#recentMax) {
      const oldest = this.#recent.oldest();
      if (oldest === undefined) break;
      this.#forget(oldest, this.#recent);
    }
  }

  #forget(token: string, from: Map<string, Entry> | LruMap<string, Entry>): void {
    const entry = from.get(token);
    if (entry === undefined) return;
    from.delete(token);
    this.#filterCount -= entry.filters?.size ?? 0;
    if (this.#tokenOf.get(entry.deviceId) === token) this.#tokenOf.delete(entry.deviceId);
  }
}

function newEntry(deviceId: number): Entry {
  return { deviceId, filters: undefined, diagAt: Number.NEGATIVE_INFINITY };
}
