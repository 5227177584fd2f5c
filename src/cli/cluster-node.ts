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
    ...(config.clusterHeartbeatMs !== undefined && { heartbeatMs: config.clusterHeartbeatMs }),
    ...(config.clusterDeadAfterMs !== undefined && { deadAfterMs: config.clusterDeadAfterMs }),
  });
  logger.info({ node: nodeId }, 'joined the cluster');
  return cluster;
}
