import type { QoS } from '../../src/mqtt/codec/packet.js';
import { BENCH_DATASTREAM } from '../brokers/devgate-platform.js';
import { sleep } from '../lib/clock.js';
import { type ClientRef, Fleet } from '../lib/fleet.js';
import type { HistogramSummary } from '../lib/histogram.js';
import { mergePublish, type PublishPlan, publishCommands } from '../lib/phases.js';
import { cpuPercent, sampleProcess } from '../lib/proc-stats.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';
import type { Pacing, PublishResult } from '../lib/worker-protocol.js';
import type { PlatformBackend } from './platform-backend.js';
import { connectDevices, type RunningPlatform, startPlatform } from './platform-target.js';

/** Scenario 2: device ingest through `devgate start` (values persisted to platform.sqlite). */
export interface IngestCase {
  readonly id: string;
  readonly name: string;
  /** Device connections publishing `ds/Temperature`, or 0 for the gateway case. */
  readonly devices: number;
  /** Gateway case: devices one `mgmt_device` connection publishes for (`dev/{token}/ds/…`). */
  readonly gatewayDevices: number;
  readonly qos: QoS;
  /** QoS 0: messages per second offered; QoS 1: undefined (as fast as the PUBACK windows allow). */
  readonly rate?: number;
  readonly maxInflight: number;
  /**
   * `batched`: the generator writes what one turn has for a connection in one write (the first
   * pattern of this scenario). `per-packet`: each PUBLISH is its own write and the next leaves on
   * a PUBACK, as devices that send a value and wait for its PUBACK do.
   */
  readonly writes: 'batched' | 'per-packet';
  /** Load-generator processes for this case; undefined: the run's `--workers`. */
  readonly generators?: number;
}

/** The case the small-window cases are compared with, run in the same run. */
export const INGEST_BASELINE = 'devices-q1';

export interface IngestResult {
  readonly scenario: 'ingest';
  readonly case: string;
  readonly name: string;
  /** Run on the `--baseline-cli` build (before/after figures). */
  readonly baseline?: boolean;
  readonly sent?: number;
  readonly acked?: number;
  /** History rows in platform.sqlite after the server stopped. */
  readonly persisted?: number;
  readonly persistedPerSec?: number;
  readonly ackedPerSec?: number;
  readonly pubackLatency?: HistogramSummary;
  readonly brokerCpu?: number;
  /** The load generator's processes together, % of one core: near 100 % per process = it may be the limit. */
  readonly generatorCpu?: number;
  /** Server CPU time per persisted value, µs. */
  readonly cpuMicrosPerValue?: number;
  /** Every acknowledged value was found in the store (PUBACK only after durable). */
  readonly ackedAllPersisted?: boolean;
  readonly error?: string;
}

export function ingestCases(full: boolean): IngestCase[] {
  const cases: IngestCase[] = [
    {
      id: 'devices-q1',
      name: '1000 devices, QoS 1',
      devices: 1000,
      gatewayDevices: 0,
      qos: 1,
      maxInflight: 20,
      writes: 'batched',
    },
    {
      id: 'small-w20',
      name: '500 devices, QoS 1, window 20, a write per packet',
      devices: 500,
      gatewayDevices: 0,
      qos: 1,
      maxInflight: 20,
      writes: 'per-packet',
      generators: 2,
    },
    {
      id: 'small-w1',
      name: '500 devices, QoS 1, window 1, a write per packet',
      devices: 500,
      gatewayDevices: 0,
      qos: 1,
      maxInflight: 1,
      writes: 'per-packet',
      generators: 2,
    },
    {
      id: 'devices-q0',
      name: '1000 devices, QoS 0 at 100k/s',
      devices: 1000,
      gatewayDevices: 0,
      qos: 0,
      rate: 100_000,
      maxInflight: 0,
      writes: 'batched',
    },
    {
      id: 'gateway-q1',
      name: '1 gateway × 10,000 devices, QoS 1',
      devices: 0,
      gatewayDevices: 10_000,
      qos: 1,
      maxInflight: 1000,
      writes: 'batched',
    },
  ];
  if (!full) return cases;
  return [
    ...cases,
    {
      id: 'gateway-q0',
      name: '1 gateway × 10,000 devices, QoS 0 at 100k/s',
      devices: 0,
      gatewayDevices: 10_000,
      qos: 0,
      rate: 100_000,
      maxInflight: 0,
      writes: 'batched',
    },
  ];
}

/** Devices the platform must hold for these cases. */
export function ingestDevices(cases: readonly IngestCase[]): number {
  return Math.max(...cases.map((c) => Math.max(c.devices, c.gatewayDevices)));
}

async function connectPublishers(
  fleet: Fleet,
  platform: RunningPlatform,
  c: IngestCase,
): Promise<{ refs: ClientRef[]; topics: (i: number) => string[] }> {
  const { tokens, gateway } = platform.prepared;
  if (c.devices > 0) {
    const refs = await connectDevices(fleet, platform, c.devices);
    return { refs, topics: () => [`ds/${BENCH_DATASTREAM}`] };
  }
  const { refs, summary } = await fleet.connect([0], () => ({
    clientId: 'gateway',
    username: 'mgmt_device',
    password: gateway.token,
  }));
  if (summary.ok !== 1) throw new Error(`gateway failed to connect: ${summary.errors.join('; ')}`);
  const topics = tokens.slice(0, c.gatewayDevices).map((t) => `dev/${t}/ds/${BENCH_DATASTREAM}`);
  return { refs, topics: () => topics };
}

/** Polls the store until the row count stops growing; returns when it last grew (ms). */
async function waitPersisted(
  backend: PlatformBackend,
  dataDir: string,
  quietMs = 1000,
  maxMs = 60_000,
): Promise<number> {
  const deadline = performance.now() + maxMs;
  let last = -1;
  let grewAt = performance.now();
  while (performance.now() < deadline) {
    const rows = await backend.historyRows(dataDir);
    if (rows !== last) {
      last = rows;
      grewAt = performance.now();
    } else if (performance.now() - grewAt >= quietMs) {
      break;
    }
    await sleep(200);
  }
  return grewAt;
}

export async function runIngestCase(
  pool: WorkerPool,
  c: IngestCase,
  durationMs: number,
  progress: Progress,
  backend?: PlatformBackend,
  baseline?: string,
): Promise<IngestResult> {
  const name = baseline === undefined ? c.name : `${c.name} (devgate-baseline)`;
  const base = {
    scenario: 'ingest' as const,
    case: c.id,
    name,
    ...(baseline === undefined ? {} : { baseline: true }),
  };
  const cli = baseline === undefined ? undefined : { path: baseline, label: 'devgate-baseline' };
  let platform: RunningPlatform | undefined;
  try {
    platform = await startPlatform(ingestDevices([c]), (t) => progress.step(`[2] ${t}`), cli, backend);
    const fleet = new Fleet(pool, platform.broker);
    progress.step(`[2] ${c.name}: connecting`);
    const { refs, topics } = await connectPublishers(fleet, platform, c);
    const plan: PublishPlan = {
      publishers: refs,
      topics,
      qos: c.qos,
      payload: 'digits',
      fanout: 1,
      maxInflight: c.maxInflight,
      format: 'none',
      perPacketWrites: c.writes === 'per-packet',
    };
    const pacing: Pacing = c.rate === undefined ? { kind: 'inflight' } : { kind: 'rate', perSecond: c.rate };
    progress.step(`[2] ${c.name}: publishing`);
    const before = platform.broker.sample();
    const generatorBefore = pool.pids.map(sampleProcess);
    const started = performance.now();
    const published = mergePublish(
      await pool.each<PublishResult>(publishCommands(fleet, plan, pacing, durationMs)),
    );
    const after = platform.broker.sample();
    const generatorCpu = pool.pids.reduce(
      (sum, pid, i) => sum + cpuPercent(generatorBefore[i], sampleProcess(pid)),
      0,
    );
    const { dataDir } = platform.prepared;
    const lastGrowth = await waitPersisted(platform.backend, dataDir);
    await fleet.closeAll();
    await platform.stop();
    const persisted = await platform.backend.historyRows(dataDir);
    const acked = published.ack.count;
    const seconds = Math.max(published.elapsedMs, lastGrowth - started) / 1000;
    const brokerCpu = cpuPercent(before, after);
    return {
      ...base,
      sent: published.sent,
      acked,
      persisted,
      persistedPerSec: persisted / seconds,
      ackedPerSec: acked / (published.elapsedMs / 1000),
      pubackLatency: published.ack.summary(),
      brokerCpu,
      // CPU over the publish phase, values over it too: the values a second it persisted.
      cpuMicrosPerValue: persisted > 0 ? (brokerCpu * 1e4 * (published.elapsedMs / 1000)) / persisted : 0,
      generatorCpu,
      ackedAllPersisted: persisted >= acked,
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await platform?.stop();
    platform?.prepared.cleanup();
  }
}
