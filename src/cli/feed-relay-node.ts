import { RedisFeedBus } from '../cluster/redis/redis-feed-bus.js';
import type { ServerConfig } from '../config/server-config.js';
import type { Logger } from '../observability/logger.js';
import type { DeviceFeed } from '../platform/devices/device-feed.js';
import { FeedRelay, type FeedRelayCounts } from '../platform/devices/feed-relay.js';
import { nodeIdOf } from './cluster-node.js';

/** The device feed relay of one cluster node, as `devgate start` runs it. */
export interface RunningFeedRelay {
  /** True when another node recorded the device Online last (its presence, spec §5.10). */
  onlineElsewhere(deviceId: number): boolean;
  /** What was relayed so far (`/metrics`). */
  readonly counts: Readonly<FeedRelayCounts>;
  close(): Promise<void>;
}

/**
 * In a cluster (`--redis-url` with `--database-url`), relays this node's device feed to the other
 * nodes and theirs into it, so a console live stream and a presence answer on any node see every
 * node's devices; undefined when the process is alone.
 */
export async function relayDeviceFeedIfClustered(
  config: ServerConfig,
  feed: DeviceFeed,
  logger: Logger,
): Promise<RunningFeedRelay | undefined> {
  if (config.redisUrl === undefined || config.databaseUrl === undefined) return undefined;
  const nodeId = nodeIdOf(config);
  const bus = new RedisFeedBus({ url: config.redisUrl, nodeId, logger });
  const relay = new FeedRelay({ nodeId, feed, bus, logger: logger.child({ component: 'feed-relay' }) });
  relay.start();
  try {
    await bus.start(relay);
  } catch (err) {
    await relay.close();
    throw err;
  }
  return {
    onlineElsewhere: (deviceId) => relay.onlineElsewhere(deviceId),
    counts: relay.counts,
    close: async () => {
      await relay.close();
      await bus.close();
    },
  };
}
