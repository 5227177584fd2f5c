import type pg from 'pg';
import type { Logger } from 'pino';
import { DEFAULT_CLUSTER_DEAD_AFTER_MS, DEFAULT_CLUSTER_HEARTBEAT_MS } from '../../config/cluster-timings.js';
import type { Clock } from '../../lib/clock.js';
import type { NodeId } from '../types.js';

export interface PostgresMembershipOptions {
  /** A pool on the database with the cluster tables migrated (see openClusterPool) … */
  readonly pool?: pg.Pool;
  /** … or its URL: join() opens (and migrates) a pool of its own, which close() ends. */
  readonly url?: string;
  readonly nodeId: NodeId;
  /** Where other nodes reach this one (informational). */
  readonly address?: string;
  /** Between heartbeats. Default 2000 ms. */
  readonly heartbeatMs?: number;
  /** A node whose heartbeat is older is dead; a node whose own heartbeat failed this long fences itself. Default 10 000 ms. */
  readonly deadAfterMs?: number;
  /** A dead node's row that owns no session is deleted after this long. Default max(60 s, 6 × deadAfterMs). */
  readonly forgetAfterMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface MembershipStats {
  /** Heartbeats that extended this node's row. */
  heartbeats: number;
  /** Heartbeats and rejoins that failed (PostgreSQL unreachable, the row lost, expired or held). */
  failedHeartbeats: number;
}

/** The timings with their defaults; refuses a pool-less setup and a dead time within one heartbeat. */
export function membershipTimings(options: PostgresMembershipOptions): {
  heartbeatMs: number;
  deadAfterMs: number;
  forgetAfterMs: number;
} {
  if (options.pool === undefined && options.url === undefined) {
    throw new TypeError('PostgresMembership needs a pool or a url');
  }
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_CLUSTER_HEARTBEAT_MS;
  const deadAfterMs = options.deadAfterMs ?? DEFAULT_CLUSTER_DEAD_AFTER_MS;
  if (deadAfterMs <= heartbeatMs) {
    throw new RangeError(`deadAfterMs (${deadAfterMs}) must exceed heartbeatMs (${heartbeatMs})`);
  }
  return {
    heartbeatMs,
    deadAfterMs,
    forgetAfterMs: options.forgetAfterMs ?? Math.max(60_000, 6 * deadAfterMs),
  };
}
