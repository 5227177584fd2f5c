import type pg from 'pg';
import type { Logger } from 'pino';
import { type Clock, systemClock, type Timer } from '../../lib/clock.js';
import type { NodeId } from '../types.js';
import { DeadNodeReports } from './dead-node-reports.js';
import { ClusterClosedError, toClusterError } from './errors.js';
import { Listeners } from './listeners.js';
import {
  type MembershipStats,
  membershipTimings,
  type PostgresMembershipOptions,
} from './membership-options.js';
import { EXPIRED, FORGET, HEARTBEAT, JOIN, LEAVE, LIVE, REJOIN } from './membership-sql.js';
import { openClusterPool } from './schema.js';

export type { MembershipStats, PostgresMembershipOptions } from './membership-options.js';

/**
 * Membership of the cluster through rows in `cluster_nodes`: each node heartbeats its row with the
 * database clock, and every node reports the others whose heartbeat expired, once per incarnation.
 * A node whose own heartbeat has not succeeded for `deadAfterMs` fences itself (its sessions are
 * about to be adopted by survivors) until a heartbeat succeeds again as a new incarnation.
 */
export class PostgresMembership {
  readonly stats: Readonly<MembershipStats>;
  readonly #options: PostgresMembershipOptions;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #forgetAfterMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #dead: Listeners<[NodeId, number]>;
  readonly #fencedListeners: Listeners<[string]>;
  readonly #unfencedListeners: Listeners<[]>;
  readonly #counts: MembershipStats = { heartbeats: 0, failedHeartbeats: 0 };
  readonly #reported = new DeadNodeReports();
  #pool: pg.Pool | undefined;
  #ownsPool = false;
  #incarnation: number | undefined;
  #fenceReason: string | undefined;
  #tickTimer: Timer | undefined;
  #fenceTimer: Timer | undefined;
  #busy = false;
  /** A failure since the last success was logged at warn level already. */
  #failureLogged = false;
  #stopped = false;
  #closed = false;

  constructor(options: PostgresMembershipOptions) {
    this.#options = options;
    ({
      heartbeatMs: this.#heartbeatMs,
      deadAfterMs: this.#deadAfterMs,
      forgetAfterMs: this.#forgetAfterMs,
    } = membershipTimings(options));
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#dead = new Listeners('node-dead', this.#logger);
    this.#fencedListeners = new Listeners('fenced', this.#logger);
    this.#unfencedListeners = new Listeners('unfenced', this.#logger);
    this.stats = this.#counts;
  }

  get nodeId(): NodeId {
    return this.#options.nodeId;
  }

  /** This node's incarnation since the last successful join; undefined before. */
  get incarnation(): number | undefined {
    return this.#incarnation;
  }

  /** True while this node must not serve (see onFenced). */
  get fenced(): boolean {
    return this.#fenceReason !== undefined;
  }

  /** `listener(nodeId, incarnation)` once per expired incarnation of another node. */
  onNodeDead(listener: (nodeId: NodeId, incarnation: number) => unknown): () => void {
    return this.#dead.add(listener);
  }

  /** `listener(reason)` when this node's heartbeat has not succeeded for deadAfterMs. */
  onFenced(listener: (reason: string) => unknown): () => void {
    return this.#fencedListeners.add(listener);
  }

  /** `listener()` when a fenced node's heartbeat succeeds again (as a new incarnation). */
  onUnfenced(listener: () => unknown): () => void {
    return this.#unfencedListeners.add(listener);
  }

  /** Writes this node's row as its next incarnation and starts the heartbeat. */
  async join(): Promise<{ incarnation: number }> {
    if (this.#closed) throw new ClusterClosedError('cluster membership');
    const pool = await this.#openPool();
    const sentAt = this.#clock.now();
    try {
      const { rows } = await this.#query<{ incarnation: number | string }>(pool, JOIN, [
        this.nodeId,
        this.#options.address ?? null,
      ]);
      this.#incarnation = Number(rows[0]?.incarnation);
    } catch (err) {
      throw toClusterError('joining the cluster', err);
    }
    this.#stopped = false;
    this.#fenceReason = undefined;
    this.#succeeded(sentAt);
    this.#tickTimer?.cancel();
    this.#scheduleTick();
    this.#logger?.info({ nodeId: this.nodeId, incarnation: this.#incarnation }, 'cluster: joined');
    return { incarnation: this.#incarnation };
  }

  /** Nodes whose heartbeat has not expired, this one included while it heartbeats. */
  async liveNodes(): Promise<NodeId[]> {
    const pool = this.#requirePool();
    try {
      const { rows } = await this.#query<{ node_id: string }>(pool, LIVE, [this.#deadAfterMs]);
      return rows.map((row) => row.node_id);
    } catch (err) {
      throw toClusterError('listing live nodes', err);
    }
  }

  /**
   * Stops heartbeating and marks this node's row dead at once: a graceful exit, after which a
   * survivor adopts this node's sessions (durable by then) and what its inbox still holds.
   */
  async leave(): Promise<void> {
    this.#stop();
    if (this.#incarnation === undefined) return; // never joined: no row to delete
    const pool = this.#requirePool();
    try {
      await this.#query(pool, LEAVE, [this.nodeId, this.#incarnation]);
    } catch (err) {
      throw toClusterError('leaving the cluster', err);
    }
    this.#logger?.info({ nodeId: this.nodeId, incarnation: this.#incarnation }, 'cluster: left');
  }

  /** Stops the timers and ends the pool if this object opened it. The row stays (see leave). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    if (this.#ownsPool) await this.#pool?.end();
  }

  #stop(): void {
    this.#stopped = true;
    this.#tickTimer?.cancel();
    this.#fenceTimer?.cancel();
  }

  async #openPool(): Promise<pg.Pool> {
    if (this.#pool !== undefined) return this.#pool;
    if (this.#options.pool !== undefined) {
      this.#pool = this.#options.pool;
    } else {
      this.#pool = await openClusterPool(this.#options.url as string, {
        maxConnections: 2,
        queryTimeoutMs: this.#deadAfterMs,
        connectionTimeoutMs: Math.min(5000, this.#deadAfterMs),
        ...(this.#logger && { logger: this.#logger }),
      });
      this.#ownsPool = true;
    }
    return this.#pool;
  }

  #requirePool(): pg.Pool {
    if (this.#closed) throw new ClusterClosedError('cluster membership');
    if (this.#pool === undefined) throw new ClusterClosedError('cluster membership (not joined yet)');
    return this.#pool;
  }

  /** A statement that gives up after deadAfterMs: a heartbeat later than that is worthless. */
  #query<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: unknown[]) {
    return pool.query<R>({ text, values, query_timeout: this.#deadAfterMs } as pg.QueryConfig);
  }

  #scheduleTick(): void {
    if (this.#stopped) return;
    this.#tickTimer = this.#clock.schedule(this.#heartbeatMs, () => {
      this.#scheduleTick();
      if (this.#busy) return; // the previous tick still waits on PostgreSQL; the fence timer runs
      this.#busy = true;
      (this.fenced ? this.#rejoin() : this.#heartbeat())
        .catch((err: unknown) => this.#logger?.error({ err }, 'cluster: heartbeat tick failed'))
        .finally(() => {
          this.#busy = false;
        });
    });
  }

  async #heartbeat(): Promise<void> {
    const pool = this.#pool as pg.Pool;
    const sentAt = this.#clock.now();
    let extended: boolean;
    try {
      const result = await this.#query(pool, HEARTBEAT, [this.nodeId, this.#incarnation, this.#deadAfterMs]);
      extended = result.rowCount === 1;
    } catch (err) {
      this.#failed(err, 'cluster: heartbeat failed; fencing if none succeeds in time');
      return;
    }
    if (this.#stopped || this.fenced) return; // fenced while waiting: only a rejoin unfences
    if (!extended) {
      this.#counts.failedHeartbeats++;
      this.#fence("this node's row in cluster_nodes expired, was deleted or taken over by another process");
      return;
    }
    this.#counts.heartbeats++;
    this.#succeeded(sentAt);
    await this.#reportExpired(pool);
  }

  async #rejoin(): Promise<void> {
    const pool = this.#pool as pg.Pool;
    const sentAt = this.#clock.now();
    let rows: { incarnation: number | string }[];
    try {
      ({ rows } = await this.#query<{ incarnation: number | string }>(pool, REJOIN, [
        this.nodeId,
        this.#options.address ?? null,
        this.#incarnation,
        this.#deadAfterMs,
      ]));
    } catch (err) {
      this.#failed(err, 'cluster: fenced; joining again failed');
      return;
    }
    if (this.#stopped) return;
    if (rows.length === 0) {
      this.#failed(undefined, 'cluster: fenced; another live process holds this node id');
      return;
    }
    this.#incarnation = Number(rows[0]?.incarnation);
    this.#fenceReason = undefined;
    this.#counts.heartbeats++;
    this.#succeeded(sentAt);
    this.#logger?.warn(
      { nodeId: this.nodeId, incarnation: this.#incarnation },
      'cluster: unfenced, rejoined',
    );
    this.#unfencedListeners.emit();
  }

  /**
   * The heartbeat sent at `sentAt` (local clock) succeeded, so the row's heartbeat is at least that
   * recent: fence once deadAfterMs have passed since then without another success, which is no
   * later than survivors can see the row expire.
   */
  #succeeded(sentAt: number): void {
    this.#failureLogged = false;
    this.#fenceTimer?.cancel();
    const remaining = sentAt + this.#deadAfterMs - this.#clock.now();
    this.#fenceTimer = this.#clock.schedule(remaining, () =>
      this.#fence(`no heartbeat succeeded for ${this.#deadAfterMs} ms`),
    );
  }

  /** Counts a failed heartbeat or rejoin; logs the first of a run as a warning, the rest as debug. */
  #failed(err: unknown, message: string): void {
    this.#counts.failedHeartbeats++;
    if (this.#stopped) return;
    const level = this.#failureLogged ? 'debug' : 'warn';
    this.#failureLogged = true;
    this.#logger?.[level]({ err, nodeId: this.nodeId }, message);
  }

  #fence(reason: string): void {
    if (this.fenced || this.#stopped) return;
    this.#fenceReason = reason;
    this.#fenceTimer?.cancel();
    this.#logger?.error({ nodeId: this.nodeId, incarnation: this.#incarnation, reason }, 'cluster: fenced');
    this.#fencedListeners.emit(reason);
  }

  async #reportExpired(pool: pg.Pool): Promise<void> {
    let rows: { node_id: string; incarnation: number | string }[];
    try {
      ({ rows } = await this.#query<{ node_id: string; incarnation: number | string }>(pool, EXPIRED, [
        this.nodeId,
        this.#deadAfterMs,
      ]));
      await this.#query(pool, FORGET, [this.#forgetAfterMs]);
    } catch (err) {
      if (!this.#stopped) {
        this.#logger?.warn({ err }, 'cluster: could not look for dead nodes; trying again next heartbeat');
      }
      return;
    }
    if (this.#stopped || this.fenced) return;
    const expired = rows.map((row) => ({ node: row.node_id, incarnation: Number(row.incarnation) }));
    for (const [node, incarnation] of this.#reported.unreported(expired)) {
      this.#logger?.warn({ nodeId: node, incarnation }, 'cluster: node dead (heartbeat expired)');
      this.#dead.emit(node, incarnation);
    }
  }
}
