import type pg from 'pg';
import type { Logger } from 'pino';
import { StoreWriteError } from '../errors.js';
import { inTransaction } from './migrations.js';
import { applyWrites, type PgWrite } from './statements.js';

export interface PgWriteBatcherStats {
  /** Transactions committed. */
  commits: number;
  /** Transactions rolled back or lost with their connection (their writes were dropped). */
  failedCommits: number;
  /** Row writes committed, after coalescing. */
  appliedWrites: number;
  /** Writes refused because the queue was full. */
  droppedWrites: number;
}

export interface PgWriteBatcherOptions {
  /** Row writes per transaction at most; also what starts a commit before the next turn. */
  readonly maxBatchSize: number;
  /** Row writes waiting (not yet in a transaction) at most; beyond it writes are dropped. */
  readonly maxPendingWrites: number;
  readonly logger?: Logger;
}

interface Pending {
  /** Issue number of the write: increasing in map order. */
  readonly n: number;
  readonly write: PgWrite;
}

/**
 * The PostgreSQL twin of the SQLite WriteBatcher: writes keyed by row coalesce (a later write to
 * a row replaces the pending one and moves to the end), a group-wide delete drops its group's
 * pending writes, and a batch is committed in one transaction on the next event-loop turn or once
 * `maxBatchSize` writes wait. The driver is asynchronous, so one transaction runs at a time and
 * writes issued meanwhile wait for the next one, in issue order. A failed transaction is logged,
 * never thrown to a writer, and reported by the next flush(); the batch after it starts afresh on
 * a new connection, so the store recovers once PostgreSQL answers again.
 */
export class PgWriteBatcher {
  readonly stats: PgWriteBatcherStats = { commits: 0, failedCommits: 0, appliedWrites: 0, droppedWrites: 0 };
  readonly #pool: pg.Pool;
  readonly #options: PgWriteBatcherOptions;
  #pending = new Map<string, Pending>();
  #groups = new Map<string, Set<string>>();
  #issued = 0;
  #timer: NodeJS.Immediate | undefined;
  #inFlight: { readonly first: number; readonly done: Promise<void> } | undefined;
  /** The first failure not yet reported by a flush(). */
  #failure: StoreWriteError | undefined;
  #overflowing = false;

  constructor(pool: pg.Pool, options: PgWriteBatcherOptions) {
    this.#pool = pool;
    this.#options = { ...options, maxBatchSize: Math.max(1, options.maxBatchSize) };
  }

  enqueue(key: string, group: string | undefined, write: PgWrite): void {
    if (!this.#pending.has(key) && this.#pending.size >= this.#options.maxPendingWrites) {
      this.#drop();
      return;
    }
    this.#overflowing = false;
    this.#pending.delete(key); // a replaced write moves to the end, after anything issued before it
    this.#pending.set(key, { n: ++this.#issued, write });
    if (group !== undefined) {
      let keys = this.#groups.get(group);
      if (keys === undefined) {
        keys = new Set();
        this.#groups.set(group, keys);
      }
      keys.add(key);
    }
    if (this.#pending.size >= this.#options.maxBatchSize) this.#startCommit();
    else this.#timer ??= setImmediate(() => this.#startCommit());
  }

  /** Drops every pending write of `group`: the group-wide delete queued next makes them moot. */
  supersedeGroup(group: string): void {
    const keys = this.#groups.get(group);
    if (keys === undefined) return;
    for (const key of keys) this.#pending.delete(key);
    this.#groups.delete(group);
  }

  /** Resolves once every write issued before the call is committed or failed. Never rejects. */
  async settle(): Promise<void> {
    const mark = this.#issued;
    for (;;) {
      const inFlight = this.#inFlight;
      if (inFlight !== undefined && inFlight.first <= mark) {
        await inFlight.done;
        continue;
      }
      const first = this.#pending.values().next().value?.n;
      if (first === undefined || first > mark) return;
      this.#startCommit();
    }
  }

  /** settle(), then rejects if any write since the last flush failed (reported once). */
  async flush(): Promise<void> {
    await this.settle();
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure !== undefined) throw failure;
  }

  #drop(): void {
    this.stats.droppedWrites++;
    const limit = this.#options.maxPendingWrites;
    this.#failure ??= new StoreWriteError(`the write queue is full (${limit} writes): writes dropped`);
    if (this.#overflowing) return;
    this.#overflowing = true; // one line per overflow, not one per write
    this.#options.logger?.error({ limit }, 'engine store: PostgreSQL write queue full, writes dropped');
  }

  /** Takes up to maxBatchSize writes from the front and commits them, unless a commit runs. */
  #startCommit(): void {
    if (this.#timer !== undefined) clearImmediate(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight !== undefined || this.#pending.size === 0) return;
    const batch: Pending[] = [];
    for (const [key, pending] of this.#pending) {
      if (batch.length === this.#options.maxBatchSize) break;
      batch.push(pending);
      this.#pending.delete(key);
    }
    if (this.#pending.size === 0) this.#groups = new Map();
    const done = this.#commit(batch.map((p) => p.write)).finally(() => {
      this.#inFlight = undefined;
      if (this.#pending.size > 0) this.#startCommit();
    });
    this.#inFlight = { first: batch[0]?.n ?? 0, done };
  }

  /** One transaction; never rejects. */
  async #commit(writes: readonly PgWrite[]): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      const connected = client;
      await inTransaction(connected, () => applyWrites(connected, writes));
      client.release();
      this.stats.commits++;
      this.stats.appliedWrites += writes.length;
    } catch (err) {
      // A connection that failed mid-transaction is destroyed, not handed to the next batch.
      client?.release(err instanceof Error ? err : true);
      this.stats.failedCommits++;
      this.#options.logger?.error(
        { err, writes: writes.length },
        'engine store: PostgreSQL batch commit failed, writes dropped',
      );
      this.#failure ??= new StoreWriteError(`committing ${writes.length} writes failed`, { cause: err });
    }
  }
}
