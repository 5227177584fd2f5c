import type { QoS } from '../../src/mqtt/codec/packet.js';
import type { BrokerHandle } from '../brokers/broker-process.js';
import { type DevgateCluster, type PartsCpu, partsCpu } from '../brokers/devgate-cluster.js';
import { type ClientRef, Fleet } from '../lib/fleet.js';
import {
  type LatencyResult,
  measureLatency,
  measureThroughput,
  mergePublish,
  type PublishPlan,
  publishCommands,
  receiverStats,
  resetReceivers,
  settle,
  type ThroughputResult,
} from '../lib/phases.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';
import type { PublishResult } from '../lib/worker-protocol.js';

/**
 * Scenario 6: message flows through a cluster of `devgate broker` nodes, clients connected to the
 * nodes directly. Where the clients sit is the topology: all on one node of a one-node cluster,
 * every subscriber on another node than its publisher ("all remote"), or spread evenly over three
 * nodes so that two thirds of the deliveries cross nodes.
 */
export type ClusterTopology = 'one-node' | 'all-remote' | 'two-thirds-remote';

export const TOPOLOGY_NAMES: Record<ClusterTopology, string> = {
  'one-node': '1 node',
  'all-remote': '3 nodes, all remote',
  'two-thirds-remote': '3 nodes, ⅔ remote',
};

export interface ClusterFlowCase {
  readonly id: string;
  readonly name: string;
  readonly publishers: number;
  readonly subscribers: number;
  readonly qos: QoS;
  /** Closed-loop window, messages per publishing worker (as scenario 1). */
  readonly window: number;
}

export interface ClusterTiming {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly latencyMs: number;
}

export interface ClusterFlowResult {
  readonly kind: 'flow';
  readonly case: string;
  readonly name: string;
  readonly topology: ClusterTopology;
  readonly nodes: number;
  readonly throughput?: ThroughputResult;
  /** CPU of each part over the measured span (share of one core, %). */
  readonly cpu?: PartsCpu;
  /** How long until a probe round from every publisher reached every subscriber (routes spread). */
  readonly routesReadyMs?: number;
  /** Deliveries per CPU-second of the nodes' processes (summed): the figure compared. */
  readonly perNodeCpuSecond?: number;
  /** Redis calls per published message over warm-up and measurement, by command (about). */
  readonly redisCallsPerMessage?: Record<string, number>;
  readonly error?: string;
}

export interface ClusterLatencyResult {
  readonly kind: 'latency';
  readonly qos: QoS;
  readonly ratePerSec: number;
  /** Publisher and subscriber on node 1, or the subscriber on node 2. */
  readonly placement: 'same node' | 'cross node';
  readonly latency?: LatencyResult;
  readonly error?: string;
}

export function clusterFlowCases(fanSize: number): ClusterFlowCase[] {
  const cases: ClusterFlowCase[] = [];
  for (const qos of [0, 1] as const) {
    cases.push(
      { id: `p2p-q${qos}`, name: `1 → 1, QoS ${qos}`, publishers: 1, subscribers: 1, qos, window: 2000 },
      {
        id: `fanin-q${qos}`,
        name: `fan-in ${fanSize} → 1, QoS ${qos}`,
        publishers: fanSize,
        subscribers: 1,
        qos,
        window: 8000,
      },
      {
        id: `fanout-q${qos}`,
        name: `fan-out 1 → ${fanSize}, QoS ${qos}`,
        publishers: 1,
        subscribers: fanSize,
        qos,
        window: 40,
      },
    );
  }
  return cases;
}

/** Whether a case has this topology: 1 → 1 has no "⅔ remote" (one subscriber is local or not). */
export function appliesTo(c: ClusterFlowCase, topology: ClusterTopology): boolean {
  return !(topology === 'two-thirds-remote' && c.publishers === 1 && c.subscribers === 1);
}

/**
 * The node (index) of the k-th client on the "many" side. The single side (the publisher of 1 → 1
 * and fan-out, the subscriber of fan-in) is on node 0; "all remote" puts the many side on nodes 1
 * and 2, "⅔ remote" spreads it over all three.
 */
function manySideNode(k: number, topology: ClusterTopology): number {
  if (topology === 'one-node') return 0;
  return topology === 'all-remote' ? 1 + (k % 2) : k % 3;
}

function topicsFor(c: ClusterFlowCase): { filter: string; topic: (i: number) => string } {
  if (c.publishers > 1) return { filter: `bench/${c.id}/+`, topic: (i) => `bench/${c.id}/${i}` };
  return { filter: `bench/${c.id}/t`, topic: () => `bench/${c.id}/t` };
}

/** Connects `count` clients, the k-th to node `nodeOf(k)`; refs in no particular order. */
async function connectSpread(
  fleet: Fleet,
  nodes: readonly BrokerHandle[],
  count: number,
  nodeOf: (k: number) => number,
  firstWorker: number,
  idPrefix: string,
): Promise<ClientRef[]> {
  const refs: ClientRef[] = [];
  for (let n = 0; n < nodes.length; n++) {
    const mine = Array.from({ length: count }, (_, k) => k).filter((k) => nodeOf(k) === n);
    if (mine.length === 0) continue;
    const { refs: got, summary } = await fleet.connect(
      fleet.place(mine.length, firstWorker),
      (i) => ({ clientId: `${idPrefix}-n${n}-${i}` }),
      { target: nodes[n]! },
    );
    const failures = summary.failed + summary.refused;
    if (failures > 0) throw new Error(`${failures} connections failed: ${summary.errors.join('; ')}`);
    refs.push(...got);
  }
  return refs;
}

async function subscribeAll(fleet: Fleet, refs: readonly ClientRef[], filter: string, qos: QoS) {
  const perWorker = new Map<number, number[]>();
  for (const ref of refs) perWorker.set(ref.worker, [...(perWorker.get(ref.worker) ?? []), ref.client]);
  await fleet.pool.each((w) => {
    const list = perWorker.get(w);
    return list === undefined
      ? undefined
      : { op: 'subscribe', qos, subs: list.map((client) => ({ client, filters: [filter] })) };
  });
}

/** Connects a case's clients over the cluster by topology; returns the publishers. */
async function connectFlow(
  fleet: Fleet,
  cluster: DevgateCluster,
  c: ClusterFlowCase,
  topology: ClusterTopology,
): Promise<ClientRef[]> {
  const workers = fleet.pool.size;
  const fanIn = c.publishers > 1;
  const subNode = (k: number) => (fanIn ? 0 : manySideNode(k, topology));
  const pubNode = (k: number) => (fanIn ? manySideNode(k, topology) : 0);
  const tag = `${c.id}-${topology}`;
  const subs = await connectSpread(fleet, cluster.nodes, c.subscribers, subNode, workers - 1, `s-${tag}`);
  await subscribeAll(fleet, subs, topicsFor(c).filter, c.qos);
  return connectSpread(fleet, cluster.nodes, c.publishers, pubNode, 0, `p-${tag}`);
}

/** Redis calls made between two INFO samples per message, the busiest commands only. */
function callsPer(before: Map<string, number>, after: Map<string, number>, messages: number) {
  const out: Record<string, number> = {};
  for (const [command, calls] of after) {
    const made = calls - (before.get(command) ?? 0);
    if (made / messages >= 0.001 && command !== 'info') out[command] = made / messages;
  }
  return out;
}

/**
 * Subscriptions reach the other nodes through Redis: until they have, a node routes a message
 * nowhere. Each publisher sends one QoS 1 probe per round until a whole round arrives at every
 * subscriber (at most 15 s); returns the time that took.
 */
async function awaitRoutes(fleet: Fleet, plan: PublishPlan): Promise<number> {
  const started = performance.now();
  const probe: PublishPlan = { ...plan, qos: 1 };
  while (performance.now() - started < 15_000) {
    await resetReceivers(fleet, plan.format, true);
    // About two messages per publisher in the 250 ms (a rate below 4/s would send none).
    const rate = { kind: 'rate' as const, perSecond: Math.max(20, plan.publishers.length * 8) };
    const sent = mergePublish(
      await fleet.pool.each<PublishResult>(publishCommands(fleet, probe, rate, 250)),
    ).sent;
    await settle(fleet, 200, 3000);
    const { received } = await receiverStats(fleet, true);
    if (sent > 0 && received >= sent * plan.fanout) return performance.now() - started;
  }
  throw new Error('subscriptions did not reach every node within 15 s');
}

/** Saturation throughput of one case on one topology, with the cluster's CPU by part. */
export async function runClusterFlow(
  pool: WorkerPool,
  cluster: DevgateCluster,
  c: ClusterFlowCase,
  topology: ClusterTopology,
  timing: ClusterTiming,
  progress: Progress,
): Promise<ClusterFlowResult> {
  const fleet = new Fleet(pool, cluster.combined);
  const base = { kind: 'flow' as const, case: c.id, name: c.name, topology, nodes: cluster.nodes.length };
  try {
    const publishers = await connectFlow(fleet, cluster, c, topology);
    await cluster.refreshPostgresPids();
    const plan: PublishPlan = {
      publishers,
      topics: (i) => [topicsFor(c).topic(i)],
      qos: c.qos,
      payload: 'stamp',
      fanout: c.subscribers,
      maxInflight: c.publishers > 1 ? 50 : 1000,
      format: 'stamp',
    };
    progress.step(`[6] ${TOPOLOGY_NAMES[topology]}: ${c.name}: waiting for the routes`);
    const routesReadyMs = await awaitRoutes(fleet, plan);
    progress.step(`[6] ${TOPOLOGY_NAMES[topology]}: ${c.name}: throughput`);
    const seen = cluster.history.length;
    const callsBefore = await cluster.redisCalls();
    const throughput = await measureThroughput(fleet, plan, { ...timing, window: c.window }, progress);
    const callsAfter = await cluster.redisCalls();
    // The publish phase lasts warm-up + measure + 200 ms (measureThroughput).
    const published = (throughput.publishedPerSec * (timing.warmupMs + timing.measureMs + 200)) / 1000;
    const [before, after] = cluster.history.slice(seen, seen + 2);
    const cpu = before === undefined || after === undefined ? undefined : partsCpu(before, after);
    const nodeCpuSeconds = (cpu?.nodesTotal ?? 0) / 100;
    return {
      ...base,
      routesReadyMs,
      throughput,
      ...(cpu === undefined ? {} : { cpu }),
      ...(nodeCpuSeconds > 0 ? { perNodeCpuSecond: throughput.deliveredPerSec / nodeCpuSeconds } : {}),
      ...(published > 0 ? { redisCallsPerMessage: callsPer(callsBefore, callsAfter, published) } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await fleet.closeAll().catch(() => undefined);
  }
}

/** End-to-end latency 1 → 1 at a fixed rate, subscriber on the publisher's node 1 or on node 2. */
export async function runClusterLatency(
  pool: WorkerPool,
  cluster: DevgateCluster,
  qos: QoS,
  ratePerSec: number,
  placement: 'same node' | 'cross node',
  durationMs: number,
  progress: Progress,
): Promise<ClusterLatencyResult> {
  const fleet = new Fleet(pool, cluster.combined);
  const base = { kind: 'latency' as const, qos, ratePerSec, placement };
  const c: ClusterFlowCase = {
    id: `lat-q${qos}-${placement === 'same node' ? 'local' : 'remote'}`,
    name: '',
    publishers: 1,
    subscribers: 1,
    qos,
    window: 0,
  };
  try {
    const subNode = placement === 'same node' ? 0 : 1;
    const subs = await connectSpread(fleet, cluster.nodes, 1, () => subNode, pool.size - 1, `s-${c.id}`);
    await subscribeAll(fleet, subs, topicsFor(c).filter, qos);
    const publishers = await connectSpread(fleet, cluster.nodes, 1, () => 0, 0, `p-${c.id}`);
    const plan: PublishPlan = {
      publishers,
      topics: () => [topicsFor(c).topic(0)],
      qos,
      payload: 'stamp',
      fanout: 1,
      maxInflight: 1000,
      format: 'stamp',
    };
    await awaitRoutes(fleet, plan);
    progress.step(`[6] latency QoS ${qos}, ${placement}, ${ratePerSec} msg/s`);
    const latency = await measureLatency(fleet, plan, { ratePerSec, durationMs }, progress);
    return { ...base, latency };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await fleet.closeAll().catch(() => undefined);
  }
}
