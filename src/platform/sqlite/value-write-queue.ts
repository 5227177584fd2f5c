import type { ValuePoint } from '../devices/value-store.js';

/** One `ValueStore.write` call waiting for its group commit. */
export interface QueuedValueWrite {
  readonly deviceId: number;
  readonly points: readonly ValuePoint[];
  /** Set by the commit: false = the device did not exist, nothing of this write was stored. */
  stored?: boolean;
}

/** Applies a batch in one transaction (setting each write's `stored`); throws if it rolled back. */
export type CommitBatch = (batch: readonly QueuedValueWrite[]) => void;

interface Waiter {
  readonly write: QueuedValueWrite;
  readonly resolve: (stored: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for value writes (the device API's hot path): writes issued in one event-loop turn
 * are committed together in one transaction on the next turn (setImmediate), or at once when
 * `maxPoints` are waiting. Each write's promise settles after its commit, so an acknowledgement
 * that waits for it still follows durability. Writes are queued synchronously, in call order, so
 * the order callers issue them in is the order they are applied in.
 *
 * A batch that fails is retried write by write, so one bad write (or a device deleted meanwhile)
 * fails alone.
 */
export class ValueWriteQueue {
  readonly #commit: CommitBatch;
  readonly #maxPoints: number;
  #waiting: Waiter[] = [];
  #points = 0;
  #timer: NodeJS.Immediate | undefined;

  constructor(commit: CommitBatch, maxPoints: number) {
    this.#commit = commit;
    this.#maxPoints = Math.max(1, maxPoints);
  }

  /** Writes queued and not yet committed (for tests and metrics). */
  get pending(): number {
    return this.#waiting.length;
  }

  enqueue(deviceId: number, points: readonly ValuePoint[]): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#waiting.push({ write: { deviceId, points }, resolve, reject });
      this.#points += points.length;
      // The bound on memory: past it the caller pays for the commit now.
      if (this.#points >= this.#maxPoints) this.flush();
      else this.#timer ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued, synchronously (reads call this first: they see every write). */
  flush(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#points = 0;
    try {
      this.#commit(batch.map((w) => w.write));
    } catch {
      this.#oneByOne(batch);
      return;
    }
    for (const w of batch) w.resolve(w.write.stored === true);
  }

  #oneByOne(batch: readonly Waiter[]): void {
    for (const w of batch) {
      try {
        this.#commit([w.write]);
        w.resolve(w.write.stored === true);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
