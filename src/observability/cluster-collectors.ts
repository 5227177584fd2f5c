import { Gauge, type Registry } from 'prom-client';
import { scrapedCounter } from './scrape-counters.js';

/** A cluster node's counters and gauges, read at scrape time. */
export interface ClusterStats {
  /** Live members as this node last read them, itself included. */
  readonly liveNodes: number;
  readonly fenced: boolean;
  /** Message copies sent to other nodes. */
  readonly forwarded: number;
  /** Envelopes read from this node's inbox. */
  readonly received: number;
  /** Envelopes waiting to be appended to other nodes' inboxes. */
  readonly pendingSends: number;
  /** Envelopes that will never be appended (over the limit, refused by Redis). */
  readonly droppedSends: number;
  /** Sessions this node took from another node. */
  readonly takeoversIn: number;
  /** Sessions another node took from this one. */
  readonly takeoversOut: number;
  /** Sessions adopted from dead nodes. */
  readonly adoptedSessions: number;
  /** Copies relayed for a session being loaded here, dropped beyond the bound held per session. */
  readonly droppedRelayedCopies: number;
  /** Wills of connected sessions not kept in their rows (over the queue bound, or the statement failed). */
  readonly droppedWills: number;
  /** Ownership statements (claim and release batches) that failed: their claims refused, releases lost. */
  readonly failedOwnershipBatches: number;
  /** Session releases not written: over the ownership queue's bound. */
  readonly droppedReleases: number;
}

const NONE: ClusterStats = {
  liveNodes: 0,
  fenced: false,
  forwarded: 0,
  received: 0,
  pendingSends: 0,
  droppedSends: 0,
  takeoversIn: 0,
  takeoversOut: 0,
  adoptedSessions: 0,
  droppedRelayedCopies: 0,
  droppedWills: 0,
  failedOwnershipBatches: 0,
  droppedReleases: 0,
};

/** The device feed relay's counts (changes, not messages), read at scrape time. */
export interface DeviceFeedRelayCounts {
  readonly sent: number;
  readonly received: number;
  /** Not sent: the relay's queue was full. */
  readonly dropped: number;
  /** Not sent: the channel was away. */
  readonly lost: number;
  /** Messages from other nodes that did not decode. */
  readonly malformed: number;
}

const NO_FEED: DeviceFeedRelayCounts = { sent: 0, received: 0, dropped: 0, lost: 0, malformed: 0 };

/** `devgate_cluster_device_feed_*`: the device changes this node relays to and from the others. */
export function registerDeviceFeedRelayCollectors(
  registry: Registry,
  source: () => DeviceFeedRelayCounts | undefined,
): void {
  const counts = (): DeviceFeedRelayCounts => source() ?? NO_FEED;
  const counters: [string, string, (c: DeviceFeedRelayCounts) => number][] = [
    ['devgate_cluster_device_feed_sent_total', 'Device changes relayed to the other nodes', (c) => c.sent],
    [
      'devgate_cluster_device_feed_received_total',
      'Device changes received from the other nodes',
      (c) => c.received,
    ],
    [
      'devgate_cluster_device_feed_dropped_total',
      'Device changes not relayed: the relay queue was full',
      (c) => c.dropped,
    ],
    [
      'devgate_cluster_device_feed_lost_total',
      'Device changes not relayed: the channel to the other nodes was away',
      (c) => c.lost,
    ],
    [
      'devgate_cluster_device_feed_malformed_total',
      'Messages from other nodes\u2019 device feed that did not decode',
      (c) => c.malformed,
    ],
  ];
  for (const [name, help, pick] of counters) scrapedCounter(registry, counts, name, help, pick);
}

/** `devgate_cluster_*`: this node's view of the cluster (decision 0029); registered on cluster nodes only. */
export function registerClusterCollectors(registry: Registry, source: () => ClusterStats | undefined): void {
  const stats = (): ClusterStats => source() ?? NONE;
  gauge(
    registry,
    'devgate_cluster_nodes',
    'Live cluster members as this node last read them, itself included',
    () => stats().liveNodes,
  );
  gauge(
    registry,
    'devgate_cluster_fenced',
    '1 while this node is cut off from the cluster database and has fenced itself',
    () => (stats().fenced ? 1 : 0),
  );
  gauge(
    registry,
    'devgate_cluster_pending_sends',
    'Envelopes waiting to be appended to other nodes\u2019 inboxes',
    () => stats().pendingSends,
  );
  const counters: [string, string, (s: ClusterStats) => number][] = [
    [
      'devgate_cluster_forwarded_total',
      'Message copies sent to other nodes (one per node with subscribers)',
      (s) => s.forwarded,
    ],
    ['devgate_cluster_received_total', 'Envelopes read from this node\u2019s inbox', (s) => s.received],
    [
      'devgate_cluster_dropped_sends_total',
      'Envelopes for other nodes dropped (over the pending limit, refused by Redis)',
      (s) => s.droppedSends,
    ],
    [
      'devgate_cluster_takeovers_in_total',
      'Sessions this node took over from another node',
      (s) => s.takeoversIn,
    ],
    [
      'devgate_cluster_takeovers_out_total',
      'Sessions another node took over from this one',
      (s) => s.takeoversOut,
    ],
    [
      'devgate_cluster_adopted_sessions_total',
      'Sessions adopted from nodes that died',
      (s) => s.adoptedSessions,
    ],
    [
      'devgate_cluster_relayed_copies_dropped_total',
      'Copies relayed for a session being taken over to this node, dropped: over the bound held per session',
      (s) => s.droppedRelayedCopies,
    ],
    [
      'devgate_cluster_wills_dropped_total',
      'Wills of connected sessions not kept for an adopter: over the queue bound, or their statement failed',
      (s) => s.droppedWills,
    ],
    [
      'devgate_cluster_ownership_batches_failed_total',
      'Session ownership statements that failed: their claims were refused (0x88) and their releases lost',
      (s) => s.failedOwnershipBatches,
    ],
    [
      'devgate_cluster_releases_dropped_total',
      'Session releases not written: over the ownership queue bound (the adopter or the next claim takes the row)',
      (s) => s.droppedReleases,
    ],
  ];
  for (const [name, help, pick] of counters) scrapedCounter(registry, stats, name, help, pick);
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect(this: Gauge) {
      this.set(read());
    },
  });
}
