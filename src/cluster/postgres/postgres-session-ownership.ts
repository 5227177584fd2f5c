import type pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_CLUSTER_DEAD_AFTER_MS } from '../../config/cluster-timings.js';
import type { NodeId } from '../types.js';
import { ClusterClosedError, toClusterError } from './errors.js';
import {
  type Claimed,
  type ClaimOutcome,
  OwnershipBatcher,
  type OwnershipStats,
} from './ownership-batcher.js';
import { ADOPT, HAND_BACK, OWNED_ROWS, OWNERS_OF, STILL_OWNS, TAKE_UP } from './ownership-sql.js';
import { withConflictRetry } from './retry.js';
import { WillWriter } from './will-writer.js';

export type { Claimed, ClaimOutcome, HeldByDeadNode, OwnershipStats } from './ownership-batcher.js';

export interface PostgresSessionOwnershipOptions {
  /** A pool on the database with the cluster tables migrated (see openClusterPool). */
  readonly pool: pg.Pool;
  readonly nodeId: NodeId;
  readonly logger?: Logger;
  /** Claims (or releases) per statement at most. Default 10 000. */
  readonly maxBatchSize?: number;
  /** Claims (and, apart, releases) waiting for a statement at most. Default 100 000. */
  readonly maxPending?: number;
  /** A node whose heartbeat is older than this (database clock) is dead. Default 10 000 ms. */
  readonly deadAfterMs?: number;
}

/**
 * Which node owns which MQTT session, as rows of `cluster_sessions` with an epoch that grows on
 * every change of hands: compare-and-set on the row, no consensus of our own. Claims and releases
 * are batched per event-loop turn (OwnershipBatcher); reads and adoption run at once.
 */
export class PostgresSessionOwnership {
  readonly stats: Readonly<OwnershipStats>;
  readonly #pool: pg.Pool;
  readonly #nodeId: NodeId;
  readonly #logger: Logger | undefined;
  readonly #counts: OwnershipStats = {
    statements: 0,
    claims: 0,
    releases: 0,
    failedBatches: 0,
    droppedReleases: 0,
  };
  readonly #batcher: OwnershipBatcher;
  readonly #wills: WillWriter;
  #closed = false;

  constructor(options: PostgresSessionOwnershipOptions) {
    this.#pool = options.pool;
    this.#nodeId = options.nodeId;
    this.#logger = options.logger;
    this.stats = this.#counts;
    this.#batcher = new OwnershipBatcher({
      pool: options.pool,
      nodeId: options.nodeId,
      logger: options.logger,
      maxBatchSize: Math.max(1, options.maxBatchSize ?? 10_000),
      maxPending: options.maxPending ?? 100_000,
      deadAfterMs: options.deadAfterMs ?? DEFAULT_CLUSTER_DEAD_AFTER_MS,
      stats: this.#counts,
    });
    this.#wills = new WillWriter({
      pool: options.pool,
      nodeId: options.nodeId,
      logger: options.logger,
      maxPending: options.maxPending ?? 100_000,
      maxBatchSize: Math.max(1, options.maxBatchSize ?? 10_000),
      onStatement: () => this.#counts.statements++,
    });
  }

  /** Wills not kept: over the queue bound, or their statement failed (for `/metrics`). */
  get droppedWills(): number {
    return this.#wills.dropped;
  }

  /**
   * Keeps the will of the connected session `sessionKey`, held here at `epoch`, in its row (an
   * encoded message): the node adopting this one publishes it. Queued, best effort.
   */
  keepWill(sessionKey: string, epoch: number, will: Buffer): void {
    if (!this.#closed) this.#wills.keep(sessionKey, epoch, will);
  }

  /**
   * Makes this node the owner of `sessionKey` at the next epoch (1 for a new key), unless the key
   * belongs to a dead node and `takeFromDead` is false: it is then left for that node's adopter
   * and the answer names the dead owner. Rejects with a ClusterError when the batch's statement
   * failed; the caller then refuses the connection.
   */
  claim(sessionKey: string, takeFromDead?: true): Promise<Claimed>;
  claim(sessionKey: string, takeFromDead: boolean): Promise<ClaimOutcome>;
  claim(sessionKey: string, takeFromDead = true): Promise<ClaimOutcome> {
    if (this.#closed) return Promise.reject(new ClusterClosedError('session ownership'));
    return this.#batcher.claim(sessionKey, takeFromDead);
  }

  /** Deletes the row if this node still owns it at `epoch` (the session ended); queued. */
  release(sessionKey: string, epoch: number): void {
    if (this.#closed) throw new ClusterClosedError('session ownership');
    this.#batcher.release(sessionKey, epoch);
  }

  /** Resolves once every release issued before it is applied; rejects once after a lost one. */
  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(new ClusterClosedError('session ownership'));
    return this.#batcher.flush();
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

  /**
   * What this node owned when it last stopped, with the will it kept for each: at start, the
   * sessions its previous run left (a crash and a restart before it counted as dead).
   */
  async ownedRows(): Promise<{ sessionKey: string; epoch: number; will?: Buffer }[]> {
    const rows = await this.#read<{ session_key: string; epoch: string | number; will: Buffer | null }>(
      'listing owned sessions',
      OWNED_ROWS,
      [this.#nodeId],
    );
    return rows.map(adoptedRow);
  }

  /**
   * At start: the keys this node's previous run left it, sorted, taken up so that a survivor
   * adopting that run leaves them (TAKE_UP).
   */
  async takeUp(): Promise<string[]> {
    const rows = await this.#read<{ session_key: string }>('taking up owned sessions', TAKE_UP, [
      this.#nodeId,
    ]);
    return rows.map((row) => row.session_key).sort();
  }

  /**
   * Moves every session of `deadNode` to this node at epoch + 1, in one statement, with the will
   * that node kept for it (a session that ends with its connection); racing survivors each get a
   * disjoint part. With the dead `incarnation` (from onNodeDead), sessions that node claimed
   * after it came back as a newer incarnation stay with it.
   */
  async adopt(
    deadNode: NodeId,
    incarnation?: number,
  ): Promise<{ sessionKey: string; epoch: number; will?: Buffer }[]> {
    const rows = await this.#read<{ session_key: string; epoch: string | number; will: Buffer | null }>(
      `adopting the sessions of ${deadNode}`,
      ADOPT,
      [this.#nodeId, deadNode, incarnation ?? null],
    );
    return rows.map(adoptedRow);
  }

  /**
   * Undoes this node's claim of `sessionKey` at `epoch` (if nobody claimed it since): the session
   * goes back to `previousNode`, so the survivor adopting that dead node takes it with what the
   * dead node's inbox still held for it.
   */
  async handBack(sessionKey: string, epoch: number, previousNode: NodeId): Promise<void> {
    await this.#read('handing a session back', HAND_BACK, [sessionKey, this.#nodeId, epoch, previousNode]);
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
    const flushed = this.#batcher.flush().catch((err: unknown) => {
      this.#logger?.warn({ err }, 'cluster: session releases lost while closing');
    });
    this.#closed = true;
    await flushed;
    await Promise.all([this.#batcher.idle(), this.#wills.idle()]);
  }

  async #read<R extends pg.QueryResultRow>(what: string, sql: string, values: unknown[]): Promise<R[]> {
    if (this.#closed) throw new ClusterClosedError('session ownership');
    try {
      const run = () => this.#pool.query<R>(sql, values);
      return (await withConflictRetry(run, () => this.#counts.statements++, this.#logger)).rows;
    } catch (err) {
      throw toClusterError(what, err);
    }
  }
}

function adoptedRow(row: { session_key: string; epoch: string | number; will: Buffer | null }): {
  sessionKey: string;
  epoch: number;
  will?: Buffer;
} {
  const taken = { sessionKey: row.session_key, epoch: Number(row.epoch) };
  return row.will === null ? taken : { ...taken, will: row.will };
}
