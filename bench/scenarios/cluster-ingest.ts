import { type PartsCpu, partsCpu, startDevgateCluster } from '../brokers/devgate-cluster.js';
import {
  BENCH_DATASTREAM,
  forgetPreparedPlatform,
  type PreparedPlatform,
  preparePlatform,
} from '../brokers/devgate-platform.js';
import { sleep } from '../lib/clock.js';
import { type ClientRef, Fleet } from '../lib/fleet.js';
import { mergePublish, type PublishPlan, publishCommands } from '../lib/phases.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';
import type { PublishResult } from '../lib/worker-protocol.js';
import { postgresBackend } from './platform-backend.js';
import { BENCH_START_FLAGS } from './platform-target.js';

/**
 * Scenario 6, platform: `devgate start` nodes on one fresh database; devices spread round-robin
 * over the nodes publish `ds/Temperature` at QoS 1 (20 unacknowledged each, as scenario 2's
 * `devices-q1`); values stored cluster-wide = history rows after the nodes stopped.
 */
export interface ClusterIngestResult {
  readonly kind: 'ingest';
  readonly nodes: number;
  readonly devices: number;
  readonly sent?: number;
  readonly acked?: number;
  readonly persisted?: number;
  readonly persistedPerSec?: number;
  readonly cpu?: PartsCpu;
  /** Values stored per CPU-second of the nodes' processes (summed) over the publish phase. */
  readonly perNodeCpuSecond?: number;
  readonly error?: string;
}

/** `--secret-key-file` and its path out of the backend's arguments (the URL is the cluster's). */
function keyFileArgs(cliArgs: readonly string[]): string[] {
  const at = cliArgs.indexOf('--secret-key-file');
  return at < 0 ? [] : ['--secret-key-file', cliArgs[at + 1]!];
}

async function connectDevices(
  fleet: Fleet,
  nodes: readonly { host: string; port: number }[],
  tokens: readonly string[],
  count: number,
): Promise<ClientRef[]> {
  const refs: ClientRef[] = [];
  for (let n = 0; n < nodes.length; n++) {
    const mine = Array.from({ length: count }, (_, i) => i).filter((i) => i % nodes.length === n);
    const { refs: got, summary } = await fleet.connect(
      fleet.place(mine.length),
      (k) => ({ clientId: `dev-${mine[k]}`, username: 'device', password: tokens[mine[k]!]! }),
      { target: nodes[n]! },
    );
    if (summary.ok !== mine.length)
      throw new Error(
        `${mine.length - summary.ok} devices failed on node ${n + 1}: ${summary.errors.join('; ')}`,
      );
    refs.push(...got);
  }
  return refs;
}

/** Polls the row count until it stayed the same for a second (at most 60 s). */
async function untilStable(rows: () => Promise<number>): Promise<{ rows: number; grewAt: number }> {
  const deadline = performance.now() + 60_000;
  let last = -1;
  let grewAt = performance.now();
  while (performance.now() < deadline) {
    const now = await rows();
    if (now !== last) {
      last = now;
      grewAt = performance.now();
    } else if (performance.now() - grewAt >= 1000) break;
    await sleep(200);
  }
  return { rows: last, grewAt };
}

export async function runClusterIngest(
  pool: WorkerPool,
  nodes: number,
  serverUrl: string,
  devices: number,
  durationMs: number,
  progress: Progress,
  cpuProfDir?: string,
): Promise<ClusterIngestResult> {
  const base = { kind: 'ingest' as const, nodes, devices };
  let prepared: PreparedPlatform | undefined;
  let historyRows: (() => Promise<number>) | undefined;
  let forget: (() => void) | undefined;
  progress.step(`[6] ${nodes}-node devgate start cluster: preparing ${devices} devices`);
  const cluster = await startDevgateCluster({
    nodes,
    databaseUrl: serverUrl,
    command: 'start',
    extraArgs: BENCH_START_FLAGS,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
    prepare: async (url) => {
      const backend = postgresBackend(url);
      prepared = await preparePlatform(devices, (t) => progress.step(`[6] ${t}`), backend);
      historyRows = () => backend.historyRows(prepared!.dataDir);
      forget = () => forgetPreparedPlatform(devices, backend);
      return { dataDir: prepared.dataDir, nodeArgs: keyFileArgs(backend.cliArgs) };
    },
  });
  try {
    const fleet = new Fleet(pool, cluster.combined);
    progress.step(`[6] ${nodes}-node devgate start cluster: connecting ${devices} devices`);
    const refs = await connectDevices(fleet, cluster.nodes, prepared!.tokens, devices);
    const plan: PublishPlan = {
      publishers: refs,
      topics: () => [`ds/${BENCH_DATASTREAM}`],
      qos: 1,
      payload: 'digits',
      fanout: 1,
      maxInflight: 20,
      format: 'none',
    };
    await cluster.refreshPostgresPids();
    progress.step(`[6] ${nodes}-node devgate start cluster: publishing`);
    const before = cluster.sampleParts();
    const started = performance.now();
    const published = mergePublish(
      await pool.each<PublishResult>(publishCommands(fleet, plan, { kind: 'inflight' }, durationMs)),
    );
    // The CPU span ends when the stored rows stop growing: the tail of the writes counts too.
    const { rows: persisted, grewAt } = await untilStable(historyRows!);
    const after = cluster.sampleParts();
    await fleet.closeAll();
    const cpu = partsCpu(before, after);
    const seconds = Math.max(published.elapsedMs, grewAt - started) / 1000;
    const nodeCpuSeconds = ((cpu.nodesTotal / 100) * (after.at - before.at)) / 1000;
    return {
      ...base,
      sent: published.sent,
      acked: published.ack.count,
      persisted,
      persistedPerSec: persisted / seconds,
      cpu,
      ...(nodeCpuSeconds > 0 ? { perNodeCpuSecond: persisted / nodeCpuSeconds } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await cluster.stop();
    prepared?.cleanup();
    forget?.(); // its database is dropped with the cluster
  }
}
