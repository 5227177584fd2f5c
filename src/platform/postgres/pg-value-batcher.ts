import Denque from 'denque';
import type pg from 'pg';
import type { Logger } from 'pino';
import { isStoreUnavailable, StoreWriteError } from '../../store/errors.js';
import type { ValuePoint } from '../devices/value-store.js';
import type { HistoryPartitions } from './history-partitions.js';
import { type BatchedWrite, batchColumns, SEQ_BLOCK, writeBatch } from './pg-value-batch.js';

/** More points than `maxPendingPoints` wait for a commit: PostgreSQL is slow or away. */
export class ValueQueueFullError extends StoreWriteError {
  constructor(limit: number) {
    super(`the value write queue is full (${limit} points wait for PostgreSQL)`);
  }
}

export interface PgValueWriteStats {
  /** Batches committed (one transaction each). */
  commits: number;
  /** Batches that failed: every write of them was rejected. */
  failedCommits: number;
  /** `write` calls committed (stored or answered false for an unknown device). */
  committedWrites: number;
  /** Points committed (of known devices). */
  committedPoints: number;
  /** `write` calls refused because the queue was full. */
  rejectedWrites: number;
  /** Batch attempts repeated after a connection failure. */
  retries: number;
}

export interface PgValueBatcherOptions {
  /** Points per transaction at most (a single larger write goes alone). */
  readonly maxBatchPoints: number;
  /** Points waiting for a transaction at most (≤ SEQ_BLOCK); beyond it `write` rejects. */
  readonly maxPendingPoints: number;
  /**
   * How long a batch that fails on the connection is retried (PostgreSQL restarting or away)
   * before its writes are rejected; its writes' callers wait meanwhile (PUBACK waits). 0 = no retry.
   */
  readonly maxStallMs: number;
  readonly logger?: Logger;
}

interface Waiter extends BatchedWrite {
  /** Issue number: increasing in queue order. */
  readonly n: number;
  readonly resolve: (stored: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/** SQLSTATE classes of a failure caused by the data of one write, not by the connection. */
const isDataError = (err: unknown): boolean => /^2[23]/.test(String((err as { code?: unknown })?.code ?? ''));

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

/**
 * Group commit of value writes on PostgreSQL (decision 0020). Writes queue in issue order; one
 * batch is committed at a time, and the writes issued meanwhile make the next one, so batches grow
 * with the load (at most `maxBatchPoints`). Each write's promise settles after its batch's COMMIT.
 * A batch that fails on a connection rejects every write of it (the pool replaces the connection
 * for the next batch); one that fails on a write's data is retried write by write, so that write
 * fails alone.
 */
export class PgValueBatcher {
  readonly stats: PgValueWriteStats = {
    commits: 0,
    failedCommits: 0,
    committedWrites: 0,
    committedPoints: 0,
    rejectedWrites: 0,
    retries: 0,
  };
  readonly #pool: pg.Pool;
  readonly #partitions: HistoryPartitions;
  readonly #options: PgValueBatcherOptions;
  readonly #queue = new Denque<Waiter>();
  #pendingPoints = 0;
  #issued = 0;
  #timer: NodeJS.Immediate | undefined;
  #inFlight: { readonly first: number; readonly done: Promise<void> } | undefined;
  #overflowing = false;

  constructor(pool: pg.Pool, partitions: HistoryPartitions, options: PgValueBatcherOptions) {
    this.#pool = pool;
    this.#partitions = partitions;
    // A batch never holds more than maxPendingPoints (a write alone included), so ≤ SEQ_BLOCK.
    const maxPendingPoints = Math.min(Math.max(1, options.maxPendingPoints), SEQ_BLOCK);
    this.#options = {
      ...options,
      maxPendingPoints,
      maxBatchPoints: Math.min(Math.max(1, options.maxBatchPoints), maxPendingPoints),
    };
  }

  /** Writes queued and not yet in a transaction. */
  get pending(): number {
    return this.#queue.length;
  }

  enqueue(deviceId: number, points: readonly ValuePoint[]): Promise<boolean> {
    const limit = this.#options.maxPendingPoints;
    if (this.#pendingPoints + points.length > limit) return this.#refuse(limit);
    this.#overflowing = false;
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ n: ++this.#issued, deviceId, points, resolve, reject });
      this.#pendingPoints += points.length;
      if (this.#inFlight !== undefined) return; // the next batch starts when this one ends
      if (this.#pendingPoints >= this.#options.maxBatchPoints) this.#startCommit();
      else this.#timer ??= setImmediate(() => this.#startCommit());
    });
  }

  /** Resolves once every write issued before the call has settled (committed or failed). */
  async settle(): Promise<void> {
    const mark = this.#issued;
    for (;;) {
      const inFlight = this.#inFlight;
      if (inFlight !== undefined && inFlight.first <= mark) {
        await inFlight.done;
        continue;
      }
      const front = this.#queue.peekFront();
      if (front === undefined || front.n > mark || inFlight !== undefined) return;
      this.#startCommit();
    }
  }

  #refuse(limit: number): Promise<boolean> {
    this.stats.rejectedWrites++;
    if (!this.#overflowing) {
      this.#overflowing = true; // one line per overflow, not one per write
      this.#options.logger?.error({ limit }, 'platform store: value write queue full, writes refused');
    }
    return Promise.reject(new ValueQueueFullError(limit));
  }

  /** Takes up to maxBatchPoints points of writes from the front and commits them. */
  #startCommit(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight !== undefined || this.#queue.length === 0) return;
    const batch: Waiter[] = [];
    let points = 0;
    for (;;) {
      const next = this.#queue.peekFront();
      if (
        next === undefined ||
        (batch.length > 0 && points + next.points.length > this.#options.maxBatchPoints)
      )
        break;
      batch.push(next);
      points += next.points.length;
      this.#queue.shift();
    }
    this.#pendingPoints -= points;
    const done = this.#commit(batch).then((settleWrites) => {
      this.#inFlight = undefined;
      if (this.#queue.length === 0) return settleWrites();
      this.#startCommit();
      // The pool sends the next batch on a later tick; resolving these writes (and running the
      // writes their callers issue next) waits one turn, so it runs while PostgreSQL executes
      // that batch instead of between two batches.
      setImmediate(settleWrites);
    });
    this.#inFlight = { first: (batch[0] as Waiter).n, done };
  }

  /**
   * One batch's statement; a failure on the connection is tried again with a growing pause until
   * `maxStallMs` has passed, so a PostgreSQL restart stalls writes instead of failing them. A retry
   * after a connection lost during the statement may store that batch's history twice; it never
   * loses it.
   */
  async #writeWithRetry(columns: ReturnType<typeof batchColumns>): Promise<ReadonlySet<number>> {
    const giveUpAt = Date.now() + this.#options.maxStallMs;
    let pause = FIRST_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#partitions.ensure(columns.hTs);
        const known = await writeBatch(this.#pool, columns);
        if (attempt > 1)
          this.#options.logger?.info({ attempts: attempt }, 'platform store: value writes resumed');
        return known;
      } catch (err) {
        if (!isStoreUnavailable(err) || Date.now() + pause > giveUpAt) throw err;
        this.stats.retries++;
        if (attempt === 1) {
          this.#options.logger?.warn(
            { err },
            'platform store: PostgreSQL unavailable, value writes wait and retry',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, MAX_RETRY_MS);
      }
    }
  }

  /** Commits `batch`; returns what settles each of its writes. Never rejects. */
  async #commit(batch: readonly Waiter[]): Promise<() => void> {
    try {
      const known = await this.#writeWithRetry(batchColumns(batch));
      this.stats.commits++;
      this.stats.committedWrites += batch.length;
      return () => {
        for (const w of batch) {
          const stored = known.has(w.deviceId);
          if (stored) this.stats.committedPoints += w.points.length;
          w.resolve(stored);
        }
      };
    } catch (err) {
      if (batch.length > 1 && isDataError(err)) {
        for (const w of batch) (await this.#commit([w]))();
        return () => undefined;
      }
      this.stats.failedCommits++;
      this.#options.logger?.error(
        { err, writes: batch.length },
        'platform store: PostgreSQL value batch failed, its writes are rejected',
      );
      const failure = new StoreWriteError(`committing ${batch.length} value writes failed`, { cause: err });
      return () => {
        for (const w of batch) w.reject(failure);
      };
    }
  }
}
