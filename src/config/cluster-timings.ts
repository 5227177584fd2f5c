/**
 * A cluster node's membership timings when not configured (`--cluster-heartbeat-ms`,
 * `--cluster-dead-after-ms`; decision 0029): the one source of the defaults the options, their
 * validation and the cluster's parts use.
 */
export const DEFAULT_CLUSTER_HEARTBEAT_MS = 2000;
export const DEFAULT_CLUSTER_DEAD_AFTER_MS = 10_000;
