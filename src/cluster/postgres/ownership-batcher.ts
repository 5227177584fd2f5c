import type pg from 'pg';
import type { Logger } from 'pino';
import type { NodeId } from '../types.js';
import { type ClusterError, ClusterOverloadedError, ClusterQueryError, toClusterError } from './errors.js';
import { CLAIM, RELEASE } from './ownership-sql.js';
import { withConflictRetry } from './retry.js';

export interface Claimed {
  /** The fencing token of this ownership: higher than every earlier one of the key. */
  readonly epoch: number;
  /** The node that owned the key before, to be asked to let go; undefined if none or this one. */
  readonly previousNode: NodeId | undefined;
}

/** A claim left alone: the key belongs to a node whose heartbeat expired, for its adopter. */
export interface HeldByDeadNode {
  readonly deadOwner: NodeId;
}

export type ClaimOutcome = Claimed | HeldByDeadNode;

export interface OwnershipStats {
  /** Statements run (claim and release batches, reads, retries included). */
  statements: number;
  claims: number;
  releases: number;
  /** Batches whose statement failed (their claims were rejected, their releases lost). */
  failedBatches: number;
  /** Releases refused because the queue was full. */
  droppedReleases: number;
}

export interface OwnershipBatcherOptions {
  readonly pool: pg.Pool;
  readonly nodeId: NodeId;
  readonly logger: Logger | undefined;
  /** Claims (or releases) per statement at most. */
  readonly maxBatchSize: number;
  /** Claims (and, apart, releases) waiting for a statement at most. */
  readonly maxPending: number;
  /** A node whose heartbeat is older than this (database clock) is dead. */
  readonly deadAfterMs: number;
  readonly stats: OwnershipStats;
}

interface PendingClaim {
  readonly key: string;
  /** Whether the key is taken even from a dead node (a clean start, or adoption waited out). */
  readonly takeFromDead: boolean;
  readonly resolve: (claimed: ClaimOutcome) => void;
  readonly reject: (err: ClusterError) => void;
}

interface ClaimRow {
  readonly session_key: string;
  readonly epoch: string | number | null;
  readonly previous_node: string | null;
  /** Set instead of the epoch when the key was left with its dead owner. */
  readonly dead_owner: string | null;
}

/** A release, or a flush() barrier waiting for the releases queued before it. */
type ReleaseEntry =
  | { readonly key: string; readonly epoch: number }
  | { readonly barrier: { resolve: () => void; reject: (err: unknown) => void } };

/**
 * The write path of session ownership. Claims and releases issued in one event-loop turn go to
 * PostgreSQL as one statement each (arrays, unnest); one statement runs at a time and what is
 * issued meanwhile waits for the next, so a key's claims apply in issue order and batches grow
 * with the load. A failed claim batch rejects its claims; a failed release batch is reported by
 * the next flush(). Nothing is thrown from the scheduled drain.
 */
export class OwnershipBatcher {
  readonly #options: OwnershipBatcherOptions;
  #claims: PendingClaim[] = [];
  #releases: ReleaseEntry[] = [];
  #pendingReleases = 0;
  /** The first release failure not yet reported by a flush(). */
  #releaseFailure: ClusterError | undefined;
  #scheduled = false;
  #draining: Promise<void> | undefined;

  constructor(options: OwnershipBatcherOptions) {
    this.#options = options;
  }

  claim(key: string, takeFromDead: boolean): Promise<ClaimOutcome> {
    if (this.#claims.length >= this.#options.maxPending) {
      return Promise.reject(new ClusterOverloadedError('claiming a session', this.#options.maxPending));
    }
    return new Promise<ClaimOutcome>((resolve, reject) => {
      this.#claims.push({ key, takeFromDead, resolve, reject });
      this.#schedule();
    });
  }

  release(key: string, epoch: number): void {
    if (this.#pendingReleases >= this.#options.maxPending) {
      this.#options.stats.droppedReleases++;
      this.#releaseFailure ??= new ClusterOverloadedError('releasing a session', this.#options.maxPending);
      return;
    }
    this.#pendingReleases++;
    this.#releases.push({ key, epoch });
    this.#schedule();
  }

  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#releases.push({ barrier: { resolve, reject } });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#draining !== undefined || this.#scheduled) {
      await (this.#draining ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  #run<T>(statement: () => Promise<T>): Promise<T> {
    return withConflictRetry(statement, () => this.#options.stats.statements++, this.#options.logger);
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
      if (this.#claims.length > 0) await this.#claimBatch(this.#claims.splice(0, this.#options.maxBatchSize));
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
    // One clean start among a key's claims takes it for all of them.
    const takeFromDead = keys.map((key) => byKey.get(key)?.some((claim) => claim.takeFromDead) ?? false);
    const { nodeId, deadAfterMs } = this.#options;
    let rows: ClaimRow[];
    try {
      ({ rows } = await this.#run(() =>
        this.#options.pool.query<ClaimRow>(CLAIM, [nodeId, keys, counts, takeFromDead, deadAfterMs]),
      ));
    } catch (err) {
      this.#options.stats.failedBatches++;
      const error = toClusterError(`claiming ${keys.length} sessions`, err);
      this.#options.logger?.warn(
        { err: error, claims: batch.length },
        'cluster: a batch of session claims failed',
      );
      for (const claim of batch) claim.reject(error);
      return;
    }
    this.#options.stats.claims += batch.length;
    const answered = new Map(rows.map((row) => [row.session_key, row]));
    for (const [key, claims] of byKey) this.#answer(key, claims, answered.get(key));
  }

  /**
   * n claims of one key in a batch moved its epoch by n: the i-th (0-based) got epoch - n + 1 + i,
   * and only the first had another owner before it; the last one wins.
   */
  #answer(key: string, claims: PendingClaim[], row: ClaimRow | undefined): void {
    if (row !== undefined && row.dead_owner !== null) {
      const deadOwner = row.dead_owner;
      for (const claim of claims) claim.resolve({ deadOwner });
      return;
    }
    if (row === undefined || row.epoch === null) {
      const error = new ClusterQueryError(`claiming ${key}`, {
        cause: new Error('no row came back for the key'),
      });
      for (const claim of claims) claim.reject(error);
      return;
    }
    const last = Number(row.epoch);
    const before =
      row.previous_node === null || row.previous_node === this.#options.nodeId
        ? undefined
        : row.previous_node;
    for (const [i, claim] of claims.entries()) {
      claim.resolve({ epoch: last - claims.length + 1 + i, previousNode: i === 0 ? before : undefined });
    }
  }

  #takeReleases(): ReleaseEntry[] {
    let taken = 0;
    let end = 0;
    while (end < this.#releases.length && taken < this.#options.maxBatchSize) {
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
        await this.#run(() => this.#options.pool.query(RELEASE, [this.#options.nodeId, keys, epochs]));
        this.#options.stats.releases += releases.length;
      } catch (err) {
        this.#options.stats.failedBatches++;
        const error = toClusterError(`releasing ${releases.length} sessions`, err);
        this.#options.logger?.warn(
          { err: error },
          'cluster: a batch of session releases failed; their rows stay',
        );
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
