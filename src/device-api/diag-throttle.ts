import type { Clock } from '../lib/clock.js';

const SWEEP_FLOOR = 1024;

/**
 * At most one `downlink/diag` per key per interval (spec §8 #1: throttle ≤ 1/s). Keys are device
 * ids (or gateway connections). Entries older than the interval mean nothing and are swept.
 */
export class DiagThrottle {
  private readonly lastSent = new Map<number | string, number>();
  private sweepAt = SWEEP_FLOOR;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  /** True when a diag for `key` may go now (and records it as sent). */
  allow(key: number | string): boolean {
    const now = this.clock.now();
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (last === undefined && this.lastSent.size >= this.sweepAt) this.sweep(now);
    this.lastSent.set(key, now);
    return true;
  }

  forget(key: number | string): void {
    this.lastSent.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, at] of this.lastSent) if (now - at >= this.intervalMs) this.lastSent.delete(key);
    this.sweepAt = Math.max(SWEEP_FLOOR, this.lastSent.size * 2);
  }
}
