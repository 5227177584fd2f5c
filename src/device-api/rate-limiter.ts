import type { Clock } from '../lib/clock.js';

/** A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when none is left (the message is over the rate). */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is full again: keeping it is the same as starting a new one. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }
}

/** `ok`: within the rate; `limited`: over it, drop; `flood`: over it for floodMs, disconnect. */
export type RateVerdict = 'ok' | 'limited' | 'flood';

interface Entry {
  readonly bucket: TokenBucket;
  /** Start of the current run of excess messages; a second without excess ends the run. */
  excessSince?: number;
  lastExcess?: number;
}

export interface RateLimiterOptions {
  readonly ratePerSec: number;
  readonly burst: number;
  /** Continuous excess for this long is flooding (spec §3.7: disconnect after a diag). */
  readonly floodMs: number;
  readonly clock: Clock;
}

/** A gap this long without excess ends a flooding run. */
const CALM_MS = 1000;
/**
 * Idle entries are swept once the map grows past this, and past twice the size it had before
 * the last sweep: keys that keep sending (a gateway's devices) are then not swept and re-made
 * over and over, while the map still holds at most twice the keys busy at the last sweep…
 */
const SWEEP_FLOOR = 1024;
/** …and at least this often while it is used, so idle entries do not wait for growth. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Per-key token buckets with flood detection (spec §8 #16: default 50 msg/s, burst 100). Keys
 * are device ids (or connections); an entry whose bucket refilled is dropped on the next sweep,
 * so the map holds only keys that were busy recently.
 */
export class KeyedRateLimiter {
  private readonly entries = new Map<number | string, Entry>();
  private sweepAt = SWEEP_FLOOR;
  private sweptAt: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.sweptAt = options.clock.now();
  }

  take(key: number | string): RateVerdict {
    const now = this.options.clock.now();
    if (this.entries.size >= this.sweepAt || now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { bucket: new TokenBucket(this.options.ratePerSec, this.options.burst, now) };
      this.entries.set(key, entry);
    }
    const calm = entry.lastExcess === undefined || now - entry.lastExcess > CALM_MS;
    if (entry.bucket.take(now)) {
      if (calm) entry.excessSince = undefined;
      return 'ok';
    }
    if (calm || entry.excessSince === undefined) entry.excessSince = now;
    entry.lastExcess = now;
    return now - entry.excessSince >= this.options.floodMs ? 'flood' : 'limited';
  }

  /** Drops a key's state (its connection ended). */
  forget(key: number | string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    const before = this.entries.size;
    for (const [key, entry] of this.entries) {
      const calm = entry.lastExcess === undefined || now - entry.lastExcess > CALM_MS;
      if (calm && entry.bucket.isFull(now)) this.entries.delete(key);
    }
    this.sweptAt = now;
    this.sweepAt = Math.max(SWEEP_FLOOR, before * 2);
  }
}
