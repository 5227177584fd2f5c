import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreWriteError } from '../errors.js';

/** Counters for tests and metrics. */
export interface WriteBatcherStats {
  /** Batches committed. */
  commits: number;
  /** Batches rolled back (their writes were dropped). */
  failedCommits: number;
  /** Statements' worth of writes applied, after coalescing. */
  appliedWrites: number;
}

/** Runs one prepared statement (or a few) with parameters captured at enqueue time. */
type PendingWrite = () => void;

/**
 * Queues writes in memory and applies them in one transaction per batch: on the next event-loop
 * turn (setImmediate), when the batch reaches `maxBatchSize` keys, or on flush().
 *
 * Writes are keyed by the row they touch. A later write to a key replaces the pending one and
 * moves to the end of the batch, so the batch applies, for every key, its last write in issue
 * order; that equals applying every write because nothing reads the database in between. A write
 * may belong to a group (a client id): `supersedeGroup` drops the group's pending writes just
 * before a group-wide delete is queued, which only saves inserting rows about to be deleted.
 *
 * better-sqlite3 is synchronous, so a batch is committed or failed by the time commit returns;
 * a failure is logged, never thrown to the caller of a write, and reported by the next flush().
 */
export class WriteBatcher {
  readonly stats: WriteBatcherStats = { commits: 0, failedCommits: 0, appliedWrites: 0 };
  readonly #runBatch: (batch: readonly PendingWrite[]) => void;
  readonly #maxBatchSize: number;
  readonly #logger: Logger | undefined;
  /** Insertion order is apply order. */
  #pending = new Map<string, PendingWrite>();
  #groups = new Map<string, Set<string>>();
  #timer: NodeJS.Immediate | undefined;
  /** The first commit failure not yet reported by a flush(). */
  #failure: StoreWriteError | undefined;

  constructor(db: Database, options: { maxBatchSize: number; logger?: Logger }) {
    const transaction = db.transaction((batch: readonly PendingWrite[]) => {
      for (const write of batch) write();
    });
    // IMMEDIATE takes the write lock up front: a busy database fails the batch before any work.
    this.#runBatch = (batch) => transaction.immediate(batch);
    this.#maxBatchSize = Math.max(1, options.maxBatchSize);
    this.#logger = options.logger;
  }

  enqueue(key: string, group: string | undefined, apply: () => void): void {
    this.#pending.delete(key); // a replaced write moves to the end, after anything issued before it
    this.#pending.set(key, apply);
    if (group !== undefined) {
      let keys = this.#groups.get(group);
      if (keys === undefined) {
        keys = new Set();
        this.#groups.set(group, keys);
      }
      keys.add(key);
    }
    if (this.#pending.size >= this.#maxBatchSize) this.commit();
    else this.#timer ??= setImmediate(() => this.commit());
  }

  /** Drops every pending write of `group`: the group-wide delete queued next makes them moot. */
  supersedeGroup(group: string): void {
    const keys = this.#groups.get(group);
    if (keys === undefined) return;
    for (const key of keys) this.#pending.delete(key);
    this.#groups.delete(group);
  }

  /** Commits what is pending; rejects if any write issued since the last flush failed. */
  flush(): Promise<void> {
    this.commit();
    const failure = this.#failure;
    this.#failure = undefined;
    return failure === undefined ? Promise.resolve() : Promise.reject(failure);
  }

  /** Applies the pending batch in one transaction. Never throws. */
  commit(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#groups = new Map();
    try {
      this.#runBatch(batch);
      this.stats.commits++;
      this.stats.appliedWrites += batch.length;
    } catch (err) {
      this.stats.failedCommits++;
      this.#logger?.error({ err, writes: batch.length }, 'engine store: batch commit failed, writes dropped');
      this.#failure ??= new StoreWriteError(`committing ${batch.length} writes failed`, { cause: err });
    }
  }
}
