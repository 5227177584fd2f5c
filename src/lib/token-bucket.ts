/**
 * A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. A rate of 0 or less
 * means unlimited. Time comes from `now` (an injected clock), so tests never sleep.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(ratePerSec: number, burst: number, now: () => number) {
    this.#ratePerMs = ratePerSec / 1000;
    this.#burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#at = now();
  }

  /** Takes one token; false when the bucket is empty (the caller drops the message). */
  take(): boolean {
    if (this.#ratePerMs <= 0) return true;
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
