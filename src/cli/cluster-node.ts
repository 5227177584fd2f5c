import { hostname } from 'node:os';
import type { ClusterRuntime } from '../broker/cluster-port.js';
import { databasePoolOptions, type ServerConfig } from '../config/server-config.js';
import type { Logger } from '../observability/logger.js';

/** This node's name: `--node-id`, else hostname:mqtt-port (stable across restarts of one host). */
export function nodeIdOf(config: ServerConfig): string {
  return config.nodeId ?? `${hostname()}:${config.mqttPort ?? 0}`;
}

/**
 * With `--redis-url` (and the `--database-url` it needs), this process joins the cluster as one
 * node (decision 0029); without, it is alone and undefined is returned.
 */
export async function joinClusterIfConfigured(
  config: ServerConfig,
  logger: Logger,
): Promise<ClusterRuntime | undefined> {
  if (config.redisUrl === undefined || config.databaseUrl === undefined) return undefined;
  const nodeId = nodeIdOf(config);
  // Loaded only for a cluster node: a single node never loads the Redis client.
  const { openCluster } = await import('../cluster/open-cluster.js');
  const cluster = await openCluster({
    nodeId,
    redisUrl: config.redisUrl,
    databaseUrl: config.databaseUrl,
    logger,
    pool: databasePoolOptions(config),
    ...membershipTimingOverrides(process.env),
  });
  logger.info({ node: nodeId }, 'joined the cluster');
  return cluster;
}

/**
 * Hidden tuning knobs (docs/operations.md): DEVGATE_CLUSTER_HEARTBEAT_MS and
 * DEVGATE_CLUSTER_DEAD_AFTER_MS replace the membership defaults (2 s / 10 s), e.g. for tests that
 * kill nodes. A value that is not a positive integer is ignored.
 */
export function membershipTimingOverrides(env: NodeJS.ProcessEnv): {
  heartbeatMs?: number;
  deadAfterMs?: number;
} {
  const positive = (value: string | undefined) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  };
  const heartbeatMs = positive(env.DEVGATE_CLUSTER_HEARTBEAT_MS);
  const deadAfterMs = positive(env.DEVGATE_CLUSTER_DEAD_AFTER_MS);
  return {
    ...(heartbeatMs !== undefined && { heartbeatMs }),
    ...(deadAfterMs !== undefined && { deadAfterMs }),
  };
}
