import { int, ms, pct, table } from '../lib/format.js';
import type { HistogramSummary } from '../lib/histogram.js';
import {
  type ClusterFlowResult,
  type ClusterLatencyResult,
  type ClusterTopology,
  TOPOLOGY_NAMES,
} from './cluster.js';
import type { ClusterIngestResult } from './cluster-ingest.js';
import type { ClusterConnectResult, ClusterTakeoverResult } from './cluster-sessions.js';

export type ClusterResult =
  | ClusterFlowResult
  | ClusterLatencyResult
  | ClusterConnectResult
  | ClusterTakeoverResult
  | ClusterIngestResult;

/** Nodes in the multi-node topologies: the projection multiplies by this. */
const NODES = 3;

function flow(results: readonly ClusterFlowResult[], id: string, topology: ClusterTopology) {
  return results.find((r) => r.case === id && r.topology === topology);
}

/**
 * 3 nodes' work per CPU-second budget against one node's: each node given one core's budget, three
 * carry 3 × (deliveries per node CPU-second on three) ÷ (the same on one). Goal ≥ 2.5x.
 */
function projected(three: number | undefined, one: number | undefined): string {
  if (three === undefined || one === undefined || one === 0) return 'n/a';
  return `${((NODES * three) / one).toFixed(2)}x`;
}

function flowSummary(results: readonly ClusterFlowResult[]): string {
  const cases = [...new Map(results.map((r) => [r.case, r.name])).entries()];
  const cell = (r: ClusterFlowResult | undefined): string =>
    r === undefined ? '–' : r.error !== undefined ? `error: ${r.error}` : int(r.perNodeCpuSecond ?? 0);
  return table(
    [
      'case',
      '1 node: msg per node CPU-s',
      '3 nodes all remote',
      '3 × all remote ÷ 1 node (≥ 2.5x)',
      '3 nodes ⅔ remote',
      '3 × ⅔ remote ÷ 1 node (≥ 2.5x)',
    ],
    cases.map(([id, name]) => {
      const one = flow(results, id, 'one-node');
      const all = flow(results, id, 'all-remote');
      const two = flow(results, id, 'two-thirds-remote');
      return [
        name,
        cell(one),
        cell(all),
        projected(all?.perNodeCpuSecond, one?.perNodeCpuSecond),
        cell(two),
        projected(two?.perNodeCpuSecond, one?.perNodeCpuSecond),
      ];
    }),
  );
}

function flowDetails(results: readonly ClusterFlowResult[]): string {
  return table(
    [
      'case',
      'topology',
      'delivered/s',
      'node CPU (each)',
      'Redis CPU',
      'PostgreSQL CPU',
      'generator CPU',
      'p50 / p99 at saturation (ms)',
      'lost',
      'Redis calls per message',
      'routes ready after (ms)',
    ],
    results
      .filter((r) => r.throughput !== undefined)
      .map((r) => {
        const t = r.throughput!;
        const calls = Object.entries(r.redisCallsPerMessage ?? {})
          .sort((a, b) => b[1] - a[1])
          .map(([command, n]) => `${command} ${n.toFixed(n >= 0.1 ? 2 : 3)}`)
          .join(', ');
        return [
          r.name,
          TOPOLOGY_NAMES[r.topology],
          int(t.deliveredPerSec),
          `${pct(r.cpu?.nodesTotal ?? 0)} (${(r.cpu?.nodes ?? []).map(pct).join(', ')})`,
          pct(r.cpu?.redis ?? 0),
          pct(r.cpu?.postgres ?? 0),
          pct(t.generatorCpu),
          `${ms(t.latency.p50)} / ${ms(t.latency.p99)}`,
          int(t.lost),
          calls === '' ? '–' : calls,
          r.routesReadyMs === undefined ? '–' : int(r.routesReadyMs),
        ];
      }),
  );
}

const p50p99 = (h: HistogramSummary | undefined): string =>
  h === undefined ? 'n/a' : `${ms(h.p50)} / ${ms(h.p99)}`;

function latencyTable(results: readonly ClusterLatencyResult[]): string {
  const keys = [...new Set(results.map((r) => `${r.qos}:${r.ratePerSec}`))];
  return table(
    [
      'QoS',
      'offered msg/s',
      'same node p50 / p99 (ms)',
      'cross node p50 / p99 (ms)',
      'added p50 / p99 (ms; goal p99 ≤ 1)',
      'received / sent (same, cross)',
    ],
    keys.map((key) => {
      const [qos, rate] = key.split(':').map(Number);
      const same = results.find((r) => r.qos === qos && r.ratePerSec === rate && r.placement === 'same node');
      const cross = results.find(
        (r) => r.qos === qos && r.ratePerSec === rate && r.placement === 'cross node',
      );
      const a = same?.latency?.latency;
      const b = cross?.latency?.latency;
      const added =
        a === undefined || b === undefined ? 'n/a' : `${ms(b.p50 - a.p50)} / ${ms(b.p99 - a.p99)}`;
      const got = (r: ClusterLatencyResult | undefined): string =>
        r?.latency === undefined
          ? `error: ${r?.error ?? 'not run'}`
          : `${int(r.latency.received)} / ${int(r.latency.sent)}`;
      return [String(qos), int(rate ?? 0), p50p99(a), p50p99(b), added, `${got(same)}, ${got(cross)}`];
    }),
  );
}

function connectTable(results: readonly ClusterConnectResult[]): string {
  const one = results.find((r) => r.nodes === 1)?.perNodeCpuSecond;
  return table(
    [
      'nodes',
      'connected / clients',
      'CONNECT/s (wall)',
      'node CPU (each)',
      'PostgreSQL CPU',
      'Redis CPU',
      'generator CPU',
      'CONNECT per node CPU-s',
      `${NODES} × this ÷ 1 node`,
      'CONNACK p50 / p99 (ms)',
    ],
    results.map((r) => [
      String(r.nodes),
      r.error !== undefined && r.connected === undefined
        ? `error: ${r.error}`
        : `${int(r.connected ?? 0)} / ${int(r.clients)}`,
      int(r.perSec ?? 0),
      `${pct(r.cpu?.nodesTotal ?? 0)} (${(r.cpu?.nodes ?? []).map(pct).join(', ')})`,
      pct(r.cpu?.postgres ?? 0),
      pct(r.cpu?.redis ?? 0),
      pct(r.generatorCpu ?? 0),
      int(r.perNodeCpuSecond ?? 0),
      r.nodes === 1 ? '–' : projected(r.perNodeCpuSecond, one),
      p50p99(r.connectLatency),
    ]),
  );
}

function takeoverTable(results: readonly ClusterTakeoverResult[]): string {
  const h = (x: HistogramSummary | undefined): string[] =>
    x === undefined ? ['n/a', 'n/a', 'n/a'] : [ms(x.p50), ms(x.p99), ms(x.max)];
  return table(
    [
      'takeovers',
      'CONNACK p50 / p99 / max (ms)',
      'DISCONNECT 0x8E p50 / p99 / max (ms)',
      'closed without 0x8E',
      'error',
    ],
    results.map((r) => [
      `${int(r.completed)} / ${int(r.attempts)}`,
      h(r.connack).join(' / '),
      h(r.kicked).join(' / '),
      int(r.closedWithout0x8E),
      r.error ?? '',
    ]),
  );
}

function ingestTable(results: readonly ClusterIngestResult[]): string {
  const one = results.find((r) => r.nodes === 1)?.perNodeCpuSecond;
  return table(
    [
      'nodes',
      'devices',
      'values stored/s',
      'acked / stored',
      'node CPU (each)',
      'PostgreSQL CPU',
      'Redis CPU',
      'values per node CPU-s',
      `${NODES} × this ÷ 1 node (≥ 2.5x)`,
    ],
    results.map((r) => [
      String(r.nodes),
      int(r.devices),
      r.error === undefined ? int(r.persistedPerSec ?? 0) : `error: ${r.error}`,
      `${int(r.acked ?? 0)} / ${int(r.persisted ?? 0)}`,
      `${pct(r.cpu?.nodesTotal ?? 0)} (${(r.cpu?.nodes ?? []).map(pct).join(', ')})`,
      pct(r.cpu?.postgres ?? 0),
      pct(r.cpu?.redis ?? 0),
      int(r.perNodeCpuSecond ?? 0),
      r.nodes === 1 ? '–' : projected(r.perNodeCpuSecond, one),
    ]),
  );
}

/** Scenario 6 as Markdown. */
export function clusterReport(results: readonly ClusterResult[]): string {
  const flows = results.filter((r): r is ClusterFlowResult => r.kind === 'flow');
  const latency = results.filter((r): r is ClusterLatencyResult => r.kind === 'latency');
  const connects = results.filter((r): r is ClusterConnectResult => r.kind === 'connect');
  const takeovers = results.filter((r): r is ClusterTakeoverResult => r.kind === 'takeover');
  const ingest = results.filter((r): r is ClusterIngestResult => r.kind === 'ingest');
  return [
    '### Scenario 6: cluster (devgate broker nodes on one PostgreSQL and one Redis, MQTT 3.1.1, 64-byte payloads)',
    '',
    'Deliveries per CPU-second of the nodes (their process trees summed; Redis and PostgreSQL apart), and',
    `what ${NODES} nodes carry per CPU-second budget against one node when each node has a core of its own: ${NODES} × (3-node figure) ÷ (1-node figure):`,
    '',
    flows.length > 0 ? flowSummary(flows) : '(no flow cases run)',
    '',
    flows.length > 0 ? flowDetails(flows) : '',
    '',
    'Cross-node latency, 1 → 1 at a fixed rate: publisher on node 1, subscriber on node 1 or node 2:',
    '',
    latency.length > 0 ? latencyTable(latency) : '(not run)',
    '',
    'Clean-session CONNECTs spread round-robin over the nodes, all at once:',
    '',
    connects.length > 0 ? connectTable(connects) : '(not run)',
    '',
    'Takeover: a client id connected (MQTT 5) on node 1 connects again on node 2; times from that CONNECT:',
    '',
    takeovers.length > 0 ? takeoverTable(takeovers) : '(not run)',
    '',
    'Values stored cluster-wide: `devgate start` nodes, devices spread round-robin, `ds/Temperature` at QoS 1 (20 in flight each):',
    '',
    ingest.length > 0 ? ingestTable(ingest) : '(not run)',
  ].join('\n');
}
