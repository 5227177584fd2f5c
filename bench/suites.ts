import { startAedes } from './brokers/aedes.js';
import type { BrokerHandle, BrokerName } from './brokers/broker-process.js';
import { startDevgate } from './brokers/devgate.js';
import { startDevgateCluster } from './brokers/devgate-cluster.js';
import { type PreparedPlatform, preparePlatform } from './brokers/devgate-platform.js';
import { startMosquitto } from './brokers/mosquitto.js';
import type { BenchArgs } from './lib/args.js';
import type { Progress } from './lib/progress.js';
import { WorkerPool } from './lib/worker-pool.js';
import {
  BACKLOG_LIMITS,
  type BacklogResult,
  type BacklogTarget,
  backlogCases,
  runBacklogCase,
} from './scenarios/backlog.js';
import {
  appliesTo,
  type ClusterTopology,
  clusterFlowCases,
  runClusterFlow,
  runClusterLatency,
  TOPOLOGY_NAMES,
} from './scenarios/cluster.js';
import { runClusterIngest } from './scenarios/cluster-ingest.js';
import type { ClusterResult } from './scenarios/cluster-report.js';
import { runClusterConnect, runClusterTakeover } from './scenarios/cluster-sessions.js';
import {
  baselineBrokerTarget,
  type ConnectionsResult,
  type ConnectionsTarget,
  platformTarget,
  runConnections,
  SINGLE_PROCESS_MAX,
} from './scenarios/connections.js';
import { type DownlinkResult, downlinkCases, runDownlinkCase } from './scenarios/downlinks.js';
import { type IngestResult, ingestCases, runIngestCase } from './scenarios/ingest.js';
import { type PlainResult, plainCases, runPlainCase } from './scenarios/plain.js';
import { type PlatformBackend, platformBackend } from './scenarios/platform-backend.js';

/** The scenario runners of `npm run bench`: each appends its results. */
export function startBroker(name: BrokerName, args: BenchArgs): Promise<BrokerHandle> {
  switch (name) {
    case 'devgate':
      return startDevgate({
        command: 'broker',
        ...(args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir }),
      });
    case 'devgate-workers':
      return startDevgate({
        command: 'broker',
        extraArgs: ['--socket-workers', '1'],
        label: 'devgate, 1 socket worker',
        ...(args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir }),
      });
    case 'mosquitto':
      return startMosquitto();
    case 'aedes':
      return startAedes();
  }
}

export interface Results {
  plain: PlainResult[];
  generatorCheck: PlainResult[];
  ingest: IngestResult[];
  downlinks: DownlinkResult[];
  connections: ConnectionsResult[];
  backlog: BacklogResult[];
  cluster: ClusterResult[];
}

/**
 * Scenario 1. All brokers run at once (idle ones cost nothing) and each case is run against them
 * back to back, so a disturbance on the machine hits them alike and the ratios stay comparable.
 */
export async function scenarioPlain(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  const timing = args.quick
    ? { warmupMs: 1000, measureMs: 3000, latencyMs: 3000 }
    : { warmupMs: 2000, measureMs: 10_000, latencyMs: 10_000 };
  const pool = await WorkerPool.start(args.workers);
  const brokers: BrokerHandle[] = [];
  try {
    for (const name of args.brokers) {
      progress.step(`[1] starting ${name}`);
      brokers.push(await startBroker(name, args));
      if (name === 'devgate' && args.baselineCli !== undefined) {
        brokers.push(
          await startDevgate({ command: 'broker', cli: args.baselineCli, label: 'devgate-baseline' }),
        );
      }
    }
    const cases = plainCases(!args.quick).filter(
      (c) => args.caseFilter === undefined || c.id.includes(args.caseFilter),
    );
    for (const c of cases) {
      const scaled = { ...c, window: Math.max(1, Math.round(c.window * args.windowScale)) };
      for (const broker of brokers) {
        const result = await runPlainCase(pool, broker, scaled, timing, progress);
        results.plain.push(result);
        const t = result.throughput;
        progress.done(
          `[1] ${c.name.padEnd(26)} ${broker.label.padEnd(10)} ${t === undefined ? `error: ${result.error}` : `${Math.round(t.deliveredPerSec).toLocaleString('en-US')} msg/s (broker CPU ${Math.round(t.brokerCpu)} %)`}`,
        );
      }
    }
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await pool.close();
  }
}

/**
 * Is the generator the limit? mosquitto, the fastest broker, measured with 1 and 2 generator
 * processes: if a second process does not raise its figure, the generator is not what limits it.
 */
export async function generatorCheck(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  const timing = { warmupMs: 1000, measureMs: args.quick ? 3000 : 5000, latencyMs: 1000 };
  const cases = plainCases(false).filter((c) => c.id.endsWith('-q0'));
  const broker = await startMosquitto();
  try {
    for (const workers of [1, 2]) {
      const pool = await WorkerPool.start(workers);
      try {
        for (const c of cases) {
          progress.step(`[gen] mosquitto, ${workers} generator process(es): ${c.name}`);
          const result = await runPlainCase(pool, broker, c, timing, progress);
          results.generatorCheck.push(result);
          progress.done(
            `[gen] ${c.name.padEnd(26)} ${workers} process(es): ${Math.round(result.throughput?.deliveredPerSec ?? 0).toLocaleString('en-US')} msg/s`,
          );
        }
      } finally {
        await pool.close();
      }
    }
  } finally {
    await broker.stop();
  }
}

/** Scenarios 2 and 3: devgate only (the platform has no equivalent in mosquitto or aedes), per backend. */
export async function scenarioPlatform(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  // Generator pools by size: the small-window cases bring their own processes.
  const pools = new Map<number, WorkerPool>();
  const poolOf = async (size: number): Promise<WorkerPool> => {
    let pool = pools.get(size);
    if (pool === undefined) {
      pool = await WorkerPool.start(size);
      pools.set(size, pool);
    }
    return pool;
  };
  try {
    for (const name of args.backends) {
      await platformCases(args, platformBackend(name, args.databaseUrl), poolOf, progress, results);
    }
  } finally {
    for (const pool of pools.values()) await pool.close();
  }
}

const onBackend = (name: string, backend: PlatformBackend): string => `${name} [${backend.name}]`;

async function platformCases(
  args: BenchArgs,
  backend: PlatformBackend,
  poolOf: (size: number) => Promise<WorkerPool>,
  progress: Progress,
  results: Results,
): Promise<void> {
  const durationMs = args.quick ? 5000 : 15_000;
  const wanted = (id: string) => args.caseFilter === undefined || id.includes(args.caseFilter);
  // With --baseline-cli the other build runs the same case right after: before/after.
  const baselines = args.baselineCli === undefined ? [undefined] : [undefined, args.baselineCli];
  if (args.scenarios.includes(2)) {
    for (const c of ingestCases(!args.quick).filter((x) => wanted(x.id))) {
      const pool = await poolOf(c.generators ?? args.workers);
      for (const baseline of baselines) {
        const r = await runIngestCase(pool, c, durationMs, progress, backend, baseline);
        const named = { ...r, name: onBackend(r.name, backend) };
        results.ingest.push(named);
        progress.done(
          `[2] ${named.name.padEnd(56)} ${r.error === undefined ? `${Math.round(r.persistedPerSec ?? 0).toLocaleString('en-US')} values/s persisted, ${(r.cpuMicrosPerValue ?? 0).toFixed(2)} µs CPU/value` : `error: ${r.error}`}`,
        );
      }
    }
  }
  if (args.scenarios.includes(3)) {
    const pool = await poolOf(args.workers);
    for (const c of downlinkCases().filter((x) => wanted(x.id))) {
      for (const baseline of baselines) {
        const r = await runDownlinkCase(pool, c, durationMs, progress, baseline, backend);
        const named = { ...r, name: onBackend(r.name, backend) };
        results.downlinks.push(named);
        progress.done(
          `[3] ${named.name.padEnd(56)} ${r.error === undefined ? `p99 ${((r.latency?.p99 ?? 0) / 1000).toFixed(2)} ms, ${r.received}/${r.sent} received` : `error: ${r.error}`}`,
        );
      }
    }
  }
}

/**
 * Scenario 4: every broker anonymous, and devgate start with device tokens (the target), in one
 * process up to SINGLE_PROCESS_MAX (this machine's open-files limit) and with socket workers at
 * every size, so their cost shows beside the one-process figures.
 */
export async function scenarioConnections(
  args: BenchArgs,
  progress: Progress,
  results: Results,
): Promise<void> {
  const largest = Math.max(...args.connections);
  let platform: PreparedPlatform | undefined;
  if (args.brokers.includes('devgate')) {
    try {
      platform = await preparePlatform(largest, (text) => progress.step(`[4] ${text}`));
    } catch (err) {
      progress.done(`[4] devgate start: devices could not be prepared: ${(err as Error).message}`);
    }
  }
  // With --baseline-cli the other build runs each devgate case right after this one: before/after.
  const baseline = args.baselineCli;
  const targets: ConnectionsTarget[] = args.brokers.flatMap((name) => [
    { start: () => startBroker(name, args), auth: 'anonymous' as const, maxConnections: SINGLE_PROCESS_MAX },
    ...(name === 'devgate' && baseline !== undefined ? [baselineBrokerTarget(baseline)] : []),
  ]);
  if (platform !== undefined) {
    for (const socketWorkers of [false, true]) {
      targets.push(platformTarget(platform, largest, { socketWorkers }));
      if (baseline !== undefined)
        targets.push(platformTarget(platform, largest, { cli: baseline, socketWorkers }));
    }
  }
  try {
    for (const n of args.connections) {
      for (const target of targets.filter((t) => n <= t.maxConnections)) {
        const result = await runConnections(target, n, progress);
        results.connections.push(result);
        progress.done(
          `[4] ${result.broker.padEnd(14)} ${n.toLocaleString('en-US').padStart(7)} ${connectionsLine(result)}`,
        );
      }
    }
  } finally {
    platform?.cleanup();
  }
}

function connectionsLine(r: ConnectionsResult): string {
  if (r.connected === undefined) return `error: ${r.error}`;
  const kib = (bytes: number | undefined): string => ((bytes ?? 0) / 1024).toFixed(1);
  return [
    `${r.connected.toLocaleString('en-US')} connected`,
    `${Math.round(r.connectPerSec ?? 0).toLocaleString('en-US')} CONNECT/s`,
    `${kib(r.rssPerConnection)} KiB RSS/conn (main ${kib(r.mainRssPerConnection)})`,
    ...(r.heapPerConnection === undefined ? [] : [`${kib(r.heapPerConnection)} KiB main heap/conn`]),
    ...(r.error === undefined ? [] : [`(${r.error})`]),
  ].join(', ');
}

/** devgate's flags for the per-client limits scenario 5 gives every broker. */
const BACKLOG_DEVGATE_ARGS = [
  '--max-inflight-outgoing',
  String(BACKLOG_LIMITS.maxInflight),
  '--max-queued-messages',
  String(BACKLOG_LIMITS.maxQueued),
];

function backlogTargets(args: BenchArgs): BacklogTarget[] {
  const targets: BacklogTarget[] = [];
  const profile = args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir };
  for (const name of args.brokers) {
    if (name === 'devgate' || name === 'devgate-workers') {
      const workers = name === 'devgate-workers' ? ['--socket-workers', '1'] : [];
      const label = name === 'devgate' ? 'devgate' : 'devgate, 1 socket worker';
      targets.push({
        label,
        start: () =>
          startDevgate({
            command: 'broker',
            extraArgs: [...BACKLOG_DEVGATE_ARGS, ...workers],
            label,
            ...profile,
          }),
      });
    }
    if (name === 'devgate' && args.baselineCli !== undefined) {
      const cli = args.baselineCli;
      targets.push({
        label: 'devgate-baseline',
        start: () =>
          startDevgate({
            command: 'broker',
            cli,
            extraArgs: BACKLOG_DEVGATE_ARGS,
            label: 'devgate-baseline',
          }),
      });
    }
    if (name === 'mosquitto')
      targets.push({ label: 'mosquitto', start: () => startMosquitto(BACKLOG_LIMITS) });
  }
  return targets;
}

/**
 * Scenario 5: deep backlogs (aedes is left out: its in-memory queue is not the comparison asked
 * for). Every round starts each broker afresh and runs them back to back, the order reversed every
 * other round, so a disturbance on the shared machine does not always hit the same broker.
 */
export async function scenarioBacklog(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  const targets = backlogTargets(args);
  const rounds = args.quick ? 1 : 2;
  const cases = backlogCases(args.quick).filter(
    (c) => args.caseFilter === undefined || c.id.includes(args.caseFilter),
  );
  for (const c of cases) {
    for (let round = 1; round <= rounds; round++) {
      for (const target of round % 2 === 1 ? targets : [...targets].reverse()) {
        const r = await runBacklogCase(target, c, round, progress);
        results.backlog.push(r);
        progress.done(
          `[5] ${c.name.padEnd(30)} ${r.broker.padEnd(16)} ${r.error === undefined ? `${Math.round(r.deliveredPerSec ?? 0).toLocaleString('en-US')} msg/s, ${(r.delivered ?? 0).toLocaleString('en-US')}/${c.messages.toLocaleString('en-US')} delivered, ${(r.dropped ?? 0).toLocaleString('en-US')} dropped` : `error: ${r.error}`}`,
        );
      }
    }
  }
}

/** Scenario 6 sizes and phases: `--quick` keeps the whole scenario under about two minutes. */
function clusterPlan(quick: boolean) {
  return quick
    ? {
        timing: { warmupMs: 1000, measureMs: 2000, latencyMs: 2000 },
        fanSize: 300,
        connects: 2000,
        takeovers: 200,
        devices: 500,
        ingestMs: 4000,
      }
    : {
        timing: { warmupMs: 2000, measureMs: 8000, latencyMs: 8000 },
        fanSize: 1000,
        connects: 6000,
        takeovers: 500,
        devices: 1000,
        ingestMs: 10_000,
      };
}

/**
 * Scenario 6: a one-node cluster, then a three-node one (each on a fresh database and its own
 * redis-server); the same flow cases on both, the latency, CONNECT and takeover cases.
 */
export async function scenarioCluster(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  const databaseUrl = args.databaseUrl;
  if (databaseUrl === undefined) {
    progress.done('[6] skipped: the cluster scenario needs --database-url (a PostgreSQL server)');
    return;
  }
  const plan = clusterPlan(args.quick);
  const wanted = (id: string) => args.caseFilter === undefined || id.includes(args.caseFilter);
  const cases = clusterFlowCases(plan.fanSize).filter((c) => wanted(c.id));
  const pool = await WorkerPool.start(args.workers);
  const push = (r: ClusterResult, line: string): void => {
    results.cluster.push(r);
    progress.done(`[6] ${line}`);
  };
  try {
    for (const nodes of [1, 3]) {
      // The latency and takeover cases need three nodes; one node serves the flows and CONNECTs.
      const threeOnly = nodes === 3 && (wanted('latency') || wanted('takeover'));
      if (cases.length === 0 && !wanted('connect') && !threeOnly) continue;
      progress.step(`[6] starting a ${nodes}-node cluster`);
      const cluster = await startDevgateCluster({
        nodes,
        databaseUrl,
        ...(args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir }),
      });
      try {
        const topologies: ClusterTopology[] =
          nodes === 1 ? ['one-node'] : ['all-remote', 'two-thirds-remote'];
        for (const c of cases) {
          for (const topology of topologies.filter((t) => appliesTo(c, t))) {
            const r = await runClusterFlow(pool, cluster, c, topology, plan.timing, progress);
            push(
              r,
              `${c.name.padEnd(24)} ${TOPOLOGY_NAMES[topology].padEnd(20)} ${r.throughput === undefined ? `error: ${r.error}` : `${Math.round(r.throughput.deliveredPerSec).toLocaleString('en-US')} msg/s, ${Math.round(r.perNodeCpuSecond ?? 0).toLocaleString('en-US')} per node CPU-s`}`,
            );
          }
        }
        if (nodes === 3 && wanted('latency'))
          await clusterLatency(pool, cluster, plan.timing.latencyMs, progress, push);
        if (wanted('connect')) {
          const r = await runClusterConnect(pool, cluster, plan.connects, progress);
          push(
            r,
            `${nodes} node(s): ${Math.round(r.perSec ?? 0).toLocaleString('en-US')} CONNECT/s, ${Math.round(r.perNodeCpuSecond ?? 0).toLocaleString('en-US')} per node CPU-s${r.error === undefined ? '' : ` (${r.error})`}`,
          );
        }
        if (nodes === 3 && wanted('takeover')) {
          const r = await runClusterTakeover(cluster, plan.takeovers, progress);
          push(
            r,
            `takeover: ${r.completed}/${r.attempts}, CONNACK p99 ${((r.connack?.p99 ?? 0) / 1000).toFixed(2)} ms, DISCONNECT 0x8E p99 ${((r.kicked?.p99 ?? 0) / 1000).toFixed(2)} ms${r.error === undefined ? '' : ` (${r.error})`}`,
          );
        }
      } finally {
        await cluster.stop();
      }
    }
    // Two more clusters of `devgate start` with their devices: a minute more, so not in --quick
    // unless asked for by name (--case ingest).
    if (args.quick ? args.caseFilter?.includes('ingest') === true : wanted('ingest')) {
      for (const nodes of [1, 3]) {
        const r = await runClusterIngest(
          pool,
          nodes,
          databaseUrl,
          plan.devices,
          plan.ingestMs,
          progress,
          args.cpuProfDir,
        );
        push(
          r,
          `devgate start, ${nodes} node(s): ${r.error === undefined ? `${Math.round(r.persistedPerSec ?? 0).toLocaleString('en-US')} values/s stored, ${Math.round(r.perNodeCpuSecond ?? 0).toLocaleString('en-US')} per node CPU-s` : `error: ${r.error}`}`,
        );
      }
    }
  } finally {
    await pool.close();
  }
}

async function clusterLatency(
  pool: WorkerPool,
  cluster: Awaited<ReturnType<typeof startDevgateCluster>>,
  durationMs: number,
  progress: Progress,
  push: (r: ClusterResult, line: string) => void,
): Promise<void> {
  for (const qos of [0, 1] as const) {
    for (const rate of [1000, 10_000]) {
      for (const placement of ['same node', 'cross node'] as const) {
        const r = await runClusterLatency(pool, cluster, qos, rate, placement, durationMs, progress);
        const l = r.latency;
        push(
          r,
          `latency QoS ${qos} ${rate} msg/s ${placement.padEnd(10)} ${l === undefined ? `error: ${r.error}` : `p50 ${(l.latency.p50 / 1000).toFixed(2)} ms, p99 ${(l.latency.p99 / 1000).toFixed(2)} ms, ${l.received}/${l.sent}`}`,
        );
      }
    }
  }
}
