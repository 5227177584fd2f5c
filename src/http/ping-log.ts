/** Devices whose last ping is remembered; the oldest entry goes first beyond this. */
export const DEFAULT_PING_LOG_LIMIT = 100_000;

/**
 * The outcome of each device's last Platform API ping ("a ping's PUBACK round-trip time
 * is recorded"), kept in memory on this node: `null` when the last ping got no answer.
 */
export class PingLog {
  readonly #limit: number;
  readonly #last = new Map<number, number | null>();

  constructor(limit = DEFAULT_PING_LOG_LIMIT) {
    this.#limit = Math.max(1, limit);
  }

  record(deviceId: number, rttMs: number | undefined): void {
    // Re-inserting moves the device to the back, so eviction drops the least recently pinged.
    this.#last.delete(deviceId);
    this.#last.set(deviceId, rttMs ?? null);
    if (this.#last.size > this.#limit) {
      const oldest = this.#last.keys().next();
      if (oldest.done !== true) this.#last.delete(oldest.value);
    }
  }

  /** The last round trip in ms; null when never pinged or the last ping went unanswered. */
  lastRttMs(deviceId: number): number | null {
    return this.#last.get(deviceId) ?? null;
  }

  get size(): number {
    return this.#last.size;
  }
}
