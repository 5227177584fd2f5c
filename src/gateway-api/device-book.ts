import type { GatewayDeviceActivity } from '../device-api/gateway-sessions.js';
import type { ReplyChannel, UplinkTarget } from '../device-api/types.js';
import { LruMap } from '../lib/lru-map.js';

/** What one gateway connection knows about one target token. */
export interface BookEntry {
  readonly deviceId: number;
  /** Wire filters subscribed with this token (kept while the broker still has them); made on the first. */
  filters: Set<string> | undefined;
  /** Last `dev/{token}/downlink/diag` sent (ms), for throttling. */
  diagAt: number;
  /**
   * The last target this token resolved to, its device the authentication cache's snapshot
   * (gateway-targets.ts: while it is current, a publish skips hashing the token).
   */
  target: UplinkTarget | undefined;
  /** `devices.changes()` when `target.device` was last found current for this token; -1: not yet. */
  checkedAt: number;
  /** The reply channel of this token's uplinks (made on first use). */
  reply: ReplyChannel | undefined;
  /** When the connection last acted for this token (ms; -Infinity: never), for the console's list. */
  activeAt: number;
}

interface Entry extends BookEntry {
  readonly token: string;
  /** This entry's token is the one `tokenFor(deviceId)` answers (kept so a use needs no lookup). */
  named: boolean;
}

const NO_FILTERS: ReadonlySet<string> = new Set();

/**
 * Tokens used only for publishing that one connection remembers (for the replies' topics, and
 * their devices so that a publish skips the token lookup). Above the 10,000 devices one gateway
 * is expected to carry (the gateway benchmark): a gateway cycling through more tokens than this finds none
 * of them in the book. Only in-scope tokens the client sent get an entry.
 */
export const RECENT_TOKENS_MAX = 16_384;

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
  /** Device id → the entry of the token last used for it. */
  readonly #tokenOf = new Map<number, Entry>();
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
    return this.#tokenOf.get(deviceId)?.token;
  }

  /** What the book holds for `token`, without marking it used. */
  find(token: string): BookEntry | undefined {
    return this.#subscribed.get(token) ?? this.#recent.get(token);
  }

  /** A publish for `token` (resolved to `deviceId`) went through; returns the token's entry. */
  noteUse(token: string, deviceId: number): BookEntry {
    const pinned = this.#subscribed.get(token);
    if (pinned?.deviceId === deviceId) {
      this.#name(pinned);
      return pinned;
    }
    let entry = this.#recent.touch(token);
    if (entry?.deviceId !== deviceId) {
      this.#forget(token, this.#recent);
      entry = newEntry(token, deviceId);
      this.#recent.set(entry.token, entry);
      this.#evict();
    }
    this.#name(entry);
    return entry;
  }

  /** A subscription `filter` for `token` (resolved to `deviceId`) is being granted; returns its entry. */
  addFilter(token: string, deviceId: number, filter: string): BookEntry {
    let entry = this.#subscribed.get(token);
    if (entry?.deviceId !== deviceId) {
      if (entry !== undefined) this.#forget(token, this.#subscribed);
      entry = this.#recent.get(token);
      if (entry?.deviceId === deviceId) this.#recent.delete(token);
      else {
        this.#forget(token, this.#recent);
        entry = newEntry(token, deviceId);
      }
      this.#subscribed.set(entry.token, entry);
    }
    entry.filters ??= new Set();
    if (!entry.filters.has(filter)) {
      entry.filters.add(filter);
      this.#filterCount++;
    }
    this.#name(entry);
    return entry;
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

  /**
   * Up to `max` devices this connection acted for, most recent first (one per device, however many
   * tokens named it). Walks the whole book: for an occasional listing, never the publish path.
   */
  recentlyActive(max: number): GatewayDeviceActivity[] {
    const latest = new Map<number, Entry>();
    for (const entries of [this.#subscribed.values(), this.#recent.values()]) {
      for (const entry of entries) {
        if (entry.activeAt === Number.NEGATIVE_INFINITY) continue;
        const seen = latest.get(entry.deviceId);
        if (seen === undefined || seen.activeAt < entry.activeAt) latest.set(entry.deviceId, entry);
      }
    }
    return [...latest.values()]
      .sort((a, b) => b.activeAt - a.activeAt)
      .slice(0, Math.max(0, max))
      .map((e) => ({ deviceId: e.deviceId, lastActiveAt: e.activeAt }));
  }

  /** Makes `entry`'s token the one its device id maps to. */
  #name(entry: Entry): void {
    if (entry.named) return;
    const previous = this.#tokenOf.get(entry.deviceId);
    if (previous !== undefined) previous.named = false;
    this.#tokenOf.set(entry.deviceId, entry);
    entry.named = true;
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
    if (!entry.named) return;
    this.#tokenOf.delete(entry.deviceId);
    entry.named = false;
  }
}

function newEntry(token: string, deviceId: number): Entry {
  return {
    token: ownCopy(token),
    deviceId,
    named: false,
    filters: undefined,
    diagAt: Number.NEGATIVE_INFINITY,
    target: undefined,
    checkedAt: -1,
    reply: undefined,
    activeAt: Number.NEGATIVE_INFINITY,
  };
}

/**
 * A flat copy of a token: one sliced out of a topic keeps that whole topic string alive, and a
 * lookup compares against the copy's characters in one place (the book is read on every publish).
 */
function ownCopy(token: string): string {
  const copy = Buffer.from(token, 'utf8').toString('utf8');
  return copy === token ? copy : token;
}
