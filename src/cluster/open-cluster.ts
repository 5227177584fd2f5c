import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AdoptedSession, Broker } from '../broker/broker.js';
import type { ClusterRuntime } from '../broker/cluster-port.js';
import { DEFAULT_CLUSTER_DEAD_AFTER_MS } from '../config/cluster-timings.js';
import type { ClusterStats } from '../observability/cluster-collectors.js';
import { ClusterNode } from './cluster-node.js';
import { decodeMessageFrame } from './envelope-codec.js';
import { LiveNodes } from './live-nodes.js';
import { LocalRoutes } from './local-routes.js';
import { openClusterPool, PostgresMembership, PostgresSessionOwnership } from './postgres/index.js';
import { RedisNodeInbox } from './redis/redis-node-inbox.js';
import { RedisRouteReplica } from './redis/redis-route-replica.js';
import { RemoteRoutes } from './remote-routes.js';
import type { NodeId } from './types.js';

export interface ClusterSettings {
  readonly nodeId: NodeId;
  readonly redisUrl: string;
  readonly databaseUrl: string;
  readonly logger: Logger;
  /** The PostgreSQL pool settings of `--database-pool-size` / `--database-query-timeout-sec`. */
  readonly pool?: { readonly maxConnections?: number; readonly queryTimeoutMs?: number };
  /** Between heartbeats (default 2 s) and until a silent node counts as dead (default 10 s). */
  readonly heartbeatMs?: number;
  readonly deadAfterMs?: number;
}

/**
 * Joins the cluster (decision 0029): the membership and session ownership tables in PostgreSQL,
 * this node's inbox and the route table in Redis. The runtime starts exchanging once the broker is
 * restored, and leaves on close.
 */
export async function openCluster(settings: ClusterSettings): Promise<ClusterRuntime> {
  const { nodeId, logger } = settings;
  const pool = await openClusterPool(settings.databaseUrl, {
    logger,
    ...(settings.pool?.maxConnections !== undefined && { maxConnections: settings.pool.maxConnections }),
    ...(settings.pool?.queryTimeoutMs !== undefined && { queryTimeoutMs: settings.pool.queryTimeoutMs }),
  });
  const membership = new PostgresMembership({
    pool,
    nodeId,
    logger,
    ...(settings.heartbeatMs !== undefined && { heartbeatMs: settings.heartbeatMs }),
    ...(settings.deadAfterMs !== undefined && { deadAfterMs: settings.deadAfterMs }),
  });
  try {
    await membership.join();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const parts = clusterParts(settings, membership, pool);
  await parts.live.refresh();
  return new ClusterNodeRuntime(parts);
}

type ClusterParts = ReturnType<typeof clusterParts>;

function clusterParts(
  settings: ClusterSettings,
  membership: PostgresMembership,
  pool: Awaited<ReturnType<typeof openClusterPool>>,
) {
  const { nodeId, redisUrl, logger } = settings;
  const timings = adoptionTimings(settings);
  const ownership = new PostgresSessionOwnership({ pool, nodeId, logger, deadAfterMs: timings.deadAfterMs });
  const inbox = new RedisNodeInbox({ url: redisUrl, nodeId, logger });
  const replica = new RedisRouteReplica({ url: redisUrl, nodeId, logger });
  const remote = new RemoteRoutes();
  const local = new LocalRoutes((change) => replica.announce(change));
  const live = new LiveNodes(membership, nodeId, logger);
  const node = new ClusterNode({
    nodeId,
    inbox,
    localRoutes: local,
    remoteRoutes: remote,
    ownership,
    isLive: (other) => live.isLive(other),
    otherNodes: () => live.others(),
    routesSettled: () => {
      local.flush();
      return replica.settled();
    },
    logger,
    releaseTimeoutMs: timings.releaseTimeoutMs,
    adoptionWaitMs: timings.adoptionWaitMs,
  });
  return { nodeId, logger, pool, membership, ownership, inbox, replica, remote, local, live, node, timings };
}

/**
 * A takeover waits for the previous owner at most half the dead time, and the adopter waits twice
 * that after finding a node dead, so a claim on a node that just died is handed back
 * (ClusterNode.claim) before the adoption, even with a slow database; later claims leave a dead
 * node's sessions alone. A session whose owner died is refused for at most three dead times while
 * it is adopted.
 */
function adoptionTimings(settings: ClusterSettings) {
  const deadAfterMs = settings.deadAfterMs ?? DEFAULT_CLUSTER_DEAD_AFTER_MS;
  const releaseTimeoutMs = Math.min(1000, Math.floor(deadAfterMs / 2));
  return {
    deadAfterMs,
    releaseTimeoutMs,
    handBackWaitMs: 2 * releaseTimeoutMs,
    adoptionWaitMs: 3 * deadAfterMs,
    /** After the dead node's routes are dropped, late forwards to its inbox are read once more. */
    secondDrainMs: Math.min(2000, deadAfterMs),
  };
}

/** An adopted row with its will decoded; a will that does not decode is logged and left out. */
function withWill(row: { sessionKey: string; epoch: number; will?: Buffer }, logger: Logger): AdoptedSession {
  const { sessionKey, epoch, will } = row;
  if (will === undefined) return { sessionKey, epoch };
  try {
    return { sessionKey, epoch, will: decodeMessageFrame(will) };
  } catch (err) {
    logger.error({ err }, 'cluster: the will kept for an adopted session does not decode; not published');
    return { sessionKey, epoch };
  }
}

/** The running parts of one node, started for its broker and closed in reverse. */
class ClusterNodeRuntime implements ClusterRuntime {
  readonly port: ClusterNode;
  readonly #parts: ClusterParts;
  #broker: Broker | undefined;
  #closed = false;
  #adopted = 0;

  constructor(parts: ClusterParts) {
    this.#parts = parts;
    this.port = parts.node;
  }

  async start(broker: Broker): Promise<void> {
    const { node, replica, remote, local, inbox, membership, live, logger } = this.#parts;
    this.#broker = broker;
    node.attach(broker);
    await replica.start(remote, local.snapshot());
    await inbox.start((batch) => node.receive(batch));
    live.start();
    await this.#settlePreviousRun(broker);
    membership.onNodeDead((dead, incarnation) => this.#nodeDied(dead, incarnation));
    membership.onFenced((reason) => {
      logger.error(
        { reason },
        'cluster: this node is cut off from the cluster database; closing its clients',
      );
      broker.fence().catch((err: unknown) => logger.error({ err }, 'cluster: fencing failed'));
    });
    membership.onUnfenced(() => logger.warn('cluster: this node is back in the cluster'));
  }

  /**
   * Rows this node still owns from its previous run (restored by the broker at start when their
   * session was persistent): their epochs are taken up, and a session that ended with a connection
   * lost in a crash has its kept will published and its row deleted, now that the cluster is
   * reachable (a restart before the crash counted as a death: no survivor adopted them).
   */
  async #settlePreviousRun(broker: Broker): Promise<void> {
    const { ownership, logger } = this.#parts;
    try {
      const rows = await ownership.ownedRows();
      if (rows.length === 0) return;
      await broker.adoptSessions(async () => rows.map((row) => withWill(row, logger)));
      logger.info({ sessions: rows.length }, 'cluster: sessions of the previous run taken up');
    } catch (err) {
      logger.error({ err }, 'cluster: sessions of the previous run could not be taken up');
    }
  }

  /**
   * A node stopped heartbeating; one survivor (the first live node by name) adopts its sessions.
   * In this order, so that no message for them is lost: it waits out takeovers still asking the
   * dead node (their claims are undone, see ClusterNode.claim), takes the sessions, restores them
   * with their routes, and only once those routes have reached Redis drops the dead node's, then
   * reads what was left in the dead node's inbox into them (twice: the other nodes forward there
   * until they learn of the drop). Messages may arrive twice meanwhile (QoS 1), none is lost.
   * A node that came back under its name meanwhile (a restart: it took its previous run's rows up
   * at start, so the adoption gets none of them) keeps its routes and its inbox.
   */
  async #nodeDied(dead: NodeId, incarnation: number): Promise<void> {
    const { replica, ownership, inbox, node, live, logger, nodeId, timings } = this.#parts;
    const broker = this.#broker;
    if (broker === undefined || this.#closed) return;
    try {
      await live.refresh();
      if (live.adopterFor(dead) !== nodeId) return;
      await delay(timings.handBackWaitMs);
      const adoptedKeys = new Set<string>();
      const take = async () => {
        const rows = await ownership.adopt(dead, incarnation);
        for (const row of rows) adoptedKeys.add(row.sessionKey);
        return rows.map((row) => withWill(row, logger));
      };
      const replay = (batch: Parameters<typeof node.receive>[0]) => node.receive(batch, adoptedKeys);
      let replayed = 0;
      let cameBack = false;
      const sessions = await broker.adoptSessions(take, async () => {
        await node.routesSettled();
        cameBack = await this.#cameBack(dead);
        if (cameBack) return;
        await replica.dropNode(dead);
        replayed = await inbox.drain(dead, replay);
      });
      this.#adopted += sessions;
      logger.warn(
        { node: dead, sessions, replayed, cameBack },
        'cluster: adopted the sessions of a dead node',
      );
      await delay(timings.secondDrainMs);
      if (this.#closed || cameBack || (await this.#cameBack(dead))) return;
      // A claim handed back later than expected (a very slow database) is not left with the dead node.
      const late = await broker.adoptSessions(take);
      this.#adopted += late;
      replayed += await inbox.drain(dead, replay);
      logger.info({ node: dead, replayed, late }, 'cluster: read the inbox of a dead node to its end');
    } catch (err) {
      logger.error({ err, node: dead }, 'cluster: adopting a dead node failed');
    }
  }

  /** Whether `node`, seen dead, is a live member again (restarted or rejoined under its name). */
  async #cameBack(node: NodeId): Promise<boolean> {
    await this.#parts.live.refresh();
    return this.#parts.live.has(node);
  }

  quiesce(): void {
    this.#parts.inbox.stopReading();
  }

  stats(): ClusterStats {
    const { live, membership, inbox, node, ownership } = this.#parts;
    const sends = inbox.stats;
    return {
      liveNodes: live.others().length + 1,
      fenced: membership.fenced,
      forwarded: node.counts.forwarded,
      received: sends.received,
      pendingSends: sends.pending,
      droppedSends: sends.dropped,
      takeoversIn: node.counts.takeoversIn,
      takeoversOut: node.counts.takeoversOut,
      adoptedSessions: this.#adopted,
      droppedRelayedCopies: node.droppedRelayedCopies,
      droppedWills: ownership.droppedWills,
      failedOwnershipBatches: ownership.stats.failedBatches,
      droppedReleases: ownership.stats.droppedReleases,
    };
  }

  async check(): Promise<void> {
    const { membership, inbox, replica } = this.#parts;
    if (membership.fenced) throw new Error('fenced: cut off from the cluster database');
    await Promise.all([inbox.ping(), replica.ping()]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { live, membership, inbox, replica, ownership, pool, local, logger } = this.#parts;
    live.stop();
    local.flush();
    const steps: Array<() => Promise<unknown>> = [
      () => ownership.flush(),
      () => membership.leave(),
      () => inbox.close(),
      () => replica.close(),
      () => ownership.close(),
      () => membership.close(),
      () => pool.end(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        logger.warn({ err }, 'cluster: a part did not close cleanly');
      }
    }
  }
}
