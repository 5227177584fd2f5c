import type pg from 'pg';
import type { Logger } from 'pino';
import type { NodeId } from '../types.js';
import {
  ClusterClosedError,
  type ClusterError,
  ClusterOverloadedError,
  ClusterQueryError,
  isRetryableConflict,
  toClusterError,
} from './errors.js';
import { ADOPT, CLAIM, OWNED_BY, OWNERS_OF, RELEASE, STILL_OWNS } from './ownership-sql.js';

export interface PostgresSessionOwnershipOptions {
  /** A pool on the database with the cluster tables migrated (see openClusterPool). */
  readonly pool: pg.Pool;
  readonly nodeId: NodeId;
  readonly logger?: Logger;
  /** Claims (or releases) per statement at most. Default 10 000. */
  readonly maxBatchSize?: number;
  /** Claims (and, apart, releases) waiting for a statement at most. Default 100 000. */
  readonly maxPending?: number;
}

export interface Claimed {
  /** The fencing token of this ownership: higher than every earlier one of the key. */
  readonly epoch: number;
  /** The node that owned the key before, to be asked to let go; undefined if none or this one. */
  readonly previousNode: NodeId | undefined;
}

export interface OwnershipStats {
  /** Statements run (claim batches, release batches, retries included). */
  statements: number;
  claims: number;
  releases: number;
  /** Batches whose statement failed (their claims were rejected, their releases lost). */
  failedBatches: number;
  /** Releases refused because the queue was full. */
  droppedReleases: number;
}

interface PendingClaim {
  readonly key: string;
  readonly resolve: (claimed: Claimed) => void;
  readonly reject: (err: ClusterError) => void;
}

/** A release, or a flush() barrier waiting for the releases queued before it. */
type ReleaseEntry =
  | { readonly key: string; readonly epoch: number }
  | { readonly barrier: { resolve: () => void; reject: (err: unknown) => void } };

/** A statement aborted by a deadlock or serialization conflict runs again, this many times at most. */
const MAX_ATTEMPTS = 5;

/**
 * Which node owns which MQTT session, as rows of `cluster_sessions` with an epoch that grows on
 * every change of hands (compare-and-set on the row, no consensus of our own). Claims and releases
 * issued in one event-loop turn go to PostgreSQL as one statement; one statement runs at a time,
 * and what is issued meanwhile waits for the next, so a key's claims apply in issue order.
 */
export class PostgresSessionOwnership {
  readonly stats: Readonly<OwnershipStats>;
  readonly #pool: pg.Pool;
  readonly #nodeId: NodeId;
  readonly #logger: Logger | undefined;
  readonly #maxBatchSize: number;
  readonly #maxPending: number;
  readonly #counts: OwnershipStats = {
    statements: 0,
    claims: 0,
    releases: 0,
    failedBatches: 0,
    droppedReleases: 0,
  };
  #claims: PendingClaim[] = [];
  #releases: ReleaseEntry[] = [];
  #pendingReleases = 0;
  /** The first release failure not yet reported by a flush(). */
  #releaseFailure: ClusterError | undefined;
  #scheduled = false;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(options: PostgresSessionOwnershipOptions) {
    this.#pool = options.pool;
    this.#nodeId = options.nodeId;
    this.#logger = options.logger;
    this.#maxBatchSize = Math.max(1, options.maxBatchSize ?? 10_000);
    this.#maxPending = options.maxPending ?? 100_000;
    this.stats = this.#counts;
  }

  /** Makes this node the owner of `sessionKey` at the next epoch (1 for a new key). */
  claim(sessionKey: string): Promise<Claimed> {
    if (this.#closed) return Promise.reject(new ClusterClosedError('session ownership'));
    if (this.#claims.length >= this.#maxPending) {
      return Promise.reject(new ClusterOverloadedError('claiming a session', this.#maxPending));
    }
    return new Promise<Claimed>((resolve, reject) => {
      this.#claims.push({ key: sessionKey, resolve, reject });
      this.#schedule();
    });
  }

  /** Deletes the row if this node still owns it at `epoch` (the session ended); queued. */
  release(sessionKey: string, epoch: number): void {
    if (this.#closed) throw new ClusterClosedError('session ownership');
    if (this.#pendingReleases >= this.#maxPending) {
      this.#counts.droppedReleases++;
      this.#releaseFailure ??= new ClusterOverloadedError('releasing a session', this.#maxPending);
      return;
    }
    this.#pendingReleases++;
    this.#releases.push({ key: sessionKey, epoch });
    this.#schedule();
  }

  /** Resolves once every release issued before it is applied; rejects once after a lost one. */
  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(new ClusterClosedError('session ownership'));
    return new Promise<void>((resolve, reject) => {
      this.#releases.push({ barrier: { resolve, reject } });
      this.#schedule();
    });
  }

  /** The owner and epoch of each of `keys` that has one. */
  async ownersOf(keys: readonly string[]): Promise<Map<string, { node: NodeId; epoch: number }>> {
    const rows = await this.#read<{ session_key: string; node_id: string; epoch: string | number }>(
      'reading session owners',
      OWNERS_OF,
      [[...keys]],
    );
    return new Map(rows.map((row) => [row.session_key, { node: row.node_id, epoch: Number(row.epoch) }]));
  }

  /** The keys `node` owns, sorted. */
  async ownedBy(node: NodeId): Promise<string[]> {
    const rows = await this.#read<{ session_key: string }>('listing owned sessions', OWNED_BY, [node]);
    return rows.map((row) => row.session_key);
  }

  /**
   * Moves every session of `deadNode` to this node at epoch + 1, in one statement; racing
   * survivors each get a disjoint part. With the dead `incarnation` (from onNodeDead), sessions
   * that node claimed after it came back as a newer incarnation stay with it.
   */
  async adopt(deadNode: NodeId, incarnation?: number): Promise<{ sessionKey: string; epoch: number }[]> {
    const rows = await this.#read<{ session_key: string; epoch: string | number }>(
      `adopting the sessions of ${deadNode}`,
      ADOPT,
      [this.#nodeId, deadNode, incarnation ?? null],
    );
    return rows.map((row) => ({ sessionKey: row.session_key, epoch: Number(row.epoch) }));
  }

  /** Whether this node still owns `sessionKey` at `epoch` (nobody claimed it since). */
  async stillOwns(sessionKey: string, epoch: number): Promise<boolean> {
    const rows = await this.#read('checking session ownership', STILL_OWNS, [
      sessionKey,
      this.#nodeId,
      epoch,
    ]);
    return rows.length === 1;
  }

  /** Applies what is queued, then refuses further calls. The pool is the caller's. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const flushed = this.flush().catch((err: unknown) =>
      this.#logger?.warn({ err }, 'cluster: releases lost while closing session ownership'),
    );
    this.#closed = true;
    await flushed;
    await this.#draining;
  }

  async #read<R extends pg.QueryResultRow>(what: string, sql: string, values: unknown[]): Promise<R[]> {
    if (this.#closed) throw new ClusterClosedError('session ownership');
    try {
      return (await this.#run(() => this.#pool.query<R>(sql, values))).rows;
    } catch (err) {
      throw toClusterError(what, err);
    }
  }

  /** Runs the statement, again after a deadlock or serialization failure. */
  async #run<T>(statement: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.#counts.statements++;
      try {
        return await statement();
      } catch (err) {
        if (!isRetryableConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.#logger?.debug({ err, attempt }, 'cluster: ownership statement aborted by a conflict; again');
      }
    }
  }

  /** Drains on the next turn: everything issued in this one goes in one statement. */
  #schedule(): void {
    if (this.#scheduled || this.#draining !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#draining = this.#drain().finally(() => {
        this.#draining = undefined;
        if (this.#claims.length > 0 || this.#releases.length > 0) this.#schedule();
      });
    });
  }

  /** One statement at a time; what arrives meanwhile goes in the next. Never rejects. */
  async #drain(): Promise<void> {
    while (this.#claims.length > 0 || this.#releases.length > 0) {
      if (this.#claims.length > 0) await this.#claimBatch(this.#claims.splice(0, this.#maxBatchSize));
      if (this.#releases.length > 0) await this.#releaseBatch(this.#takeReleases());
    }
  }

  async #claimBatch(batch: PendingClaim[]): Promise<void> {
    const byKey = new Map<string, PendingClaim[]>();
    for (const claim of batch) {
      const same = byKey.get(claim.key);
      if (same === undefined) byKey.set(claim.key, [claim]);
      else same.push(claim);
    }
    const keys = [...byKey.keys()];
    const counts = keys.map((key) => byKey.get(key)?.length ?? 0);
    let rows: { session_key: string; epoch: string | number; previous_node: string | null }[];
    try {
      ({ rows } = await this.#run(() => this.#pool.query(CLAIM, [this.#nodeId, keys, counts])));
    } catch (err) {
      this.#counts.failedBatches++;
      const error = toClusterError(`claiming ${keys.length} sessions`, err);
      this.#logger?.warn({ err: error, claims: batch.length }, 'cluster: a batch of session claims failed');
      for (const claim of batch) claim.reject(error);
      return;
    }
    this.#counts.claims += batch.length;
    const answered = new Map(rows.map((row) => [row.session_key, row]));
    for (const [key, claims] of byKey) this.#answer(key, claims, answered.get(key));
  }

  /**
   * n claims of one key in a batch moved its epoch by n: the i-th (0-based) got epoch - n + 1 + i,
   * and only the first had another owner before it; the last one wins.
   */
  #answer(
    key: string,
    claims: PendingClaim[],
    row: { epoch: string | number; previous_node: string | null } | undefined,
  ): void {
    if (row === undefined) {
      const error = new ClusterQueryError(`claiming ${key}`, {
        cause: new Error('no row came back for the key'),
      });
      for (const claim of claims) claim.reject(error);
      return;
    }
    const last = Number(row.epoch);
    const before =
      row.previous_node === null || row.previous_node === this.#nodeId ? undefined : row.previous_node;
    for (const [i, claim] of claims.entries()) {
      claim.resolve({ epoch: last - claims.length + 1 + i, previousNode: i === 0 ? before : undefined });
    }
  }

  #takeReleases(): ReleaseEntry[] {
    let taken = 0;
    let end = 0;
    while (end < this.#releases.length && taken < this.#maxBatchSize) {
      if ('key' in (this.#releases[end] as ReleaseEntry)) taken++;
      end++;
    }
    this.#pendingReleases -= taken;
    return this.#releases.splice(0, end);
  }

  async #releaseBatch(entries: ReleaseEntry[]): Promise<void> {
    const releases = entries.filter((e): e is { key: string; epoch: number } => 'key' in e);
    if (releases.length > 0) {
      try {
        const keys = releases.map((r) => r.key);
        const epochs = releases.map((r) => r.epoch);
        await this.#run(() => this.#pool.query(RELEASE, [this.#nodeId, keys, epochs]));
        this.#counts.releases += releases.length;
      } catch (err) {
        this.#counts.failedBatches++;
        const error = toClusterError(`releasing ${releases.length} sessions`, err);
        this.#logger?.warn({ err: error }, 'cluster: a batch of session releases failed; their rows stay');
        this.#releaseFailure ??= error;
      }
    }
    for (const entry of entries) {
      if (!('barrier' in entry)) continue;
      const failure = this.#releaseFailure;
      this.#releaseFailure = undefined;
      if (failure === undefined) entry.barrier.resolve();
      else entry.barrier.reject(failure);
    }
  }
}
