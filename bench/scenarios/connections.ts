import type { BrokerHandle, LoopProbe } from '../brokers/broker-process.js';
import { startDevgate } from '../brokers/devgate.js';
import { type PreparedPlatform, preparePlatform } from '../brokers/devgate-platform.js';
import { sleep } from '../lib/clock.js';
import { Fleet } from '../lib/fleet.js';
import { Histogram, type HistogramData, type HistogramSummary } from '../lib/histogram.js';
import { cpuPercent, sampleProcess, sampleTree, type TreeSample } from '../lib/proc-stats.js';
import type { Progress } from '../lib/progress.js';
import { WorkerPool } from '../lib/worker-pool.js';

/** Scenario 4: N idle connections: CONNECT rate, server memory per connection, responsiveness. */
export interface ConnectionsResult {
  readonly scenario: 'connections';
  readonly broker: string;
  readonly auth: 'anonymous' | 'device token';
  readonly target: number;
  readonly connected?: number;
  readonly failed?: number;
  readonly connectPerSec?: number;
  readonly connectLatency?: HistogramSummary;
  /** devgate's socket worker processes (0: the broker process holds the sockets itself). */
  readonly socketWorkers?: number;
  /** RSS of the broker's whole process tree (main process + socket workers), before/after. */
  readonly rssBeforeBytes?: number;
  readonly rssAfterBytes?: number;
  /** Tree RSS growth per connection: the workers' own base cancels out (they start before). */
  readonly rssPerConnection?: number;
  /** The broker's main process alone: RSS after, and its growth per connection. */
  readonly mainRssAfterBytes?: number;
  readonly mainRssPerConnection?: number;
  /** Share of one core over the connect storm: the whole tree, and the main process alone. */
  readonly connectCpu?: { readonly tree: number; readonly main: number };
  /** The load generators over the connect storm, summed (a share of one core). */
  readonly generatorCpu?: number;
  /** Open files of each process of the tree with every client connected, main process first. */
  readonly fds?: readonly number[];
  /** Clients the generators still held open at the PINGREQ sample (after the settle time). */
  readonly openAtPing?: number;
  /**
   * Node brokers: heap growth per connection of the MAIN process (where the broker runs; socket
   * workers are not probed), both samples taken after a full GC (loop-probe).
   */
  readonly heapPerConnection?: number;
  /** Node brokers: event-loop delay over the connect storm and the idle period after it. */
  readonly loopDelayMs?: LoopProbe['loopDelayMs'];
  /** PINGREQ round trip on a sample of the idle connections. */
  readonly pingRtt?: HistogramSummary;
  readonly error?: string;
}

/** Connections per generator process: below the 20,000 open-files limit with room to spare. */
const PER_WORKER = 18_000;
/** CONNECTs outstanding per generator process, and over all of them (the listen backlog is 511). */
const CONCURRENCY = 250;
const MAX_TOTAL_CONCURRENCY = 500;

/**
 * The most connections one broker process holds here (open files: 20,000 per process, not
 * raisable without CAP_SYS_RESOURCE). Above it only devgate with socket workers runs.
 */
export const SINGLE_PROCESS_MAX = 19_000;
/** Connections per socket worker: each stays below its own 20,000 open files, with room. */
export const PER_SOCKET_WORKER = 18_000;

export function socketWorkersFor(n: number): number {
  return Math.max(1, Math.ceil(n / PER_SOCKET_WORKER));
}

export interface ConnectionsTarget {
  /** Starts the broker for a run of `n` connections. */
  readonly start: (n: number) => Promise<BrokerHandle>;
  readonly auth: 'anonymous' | 'device token';
  /** The most connections this target can hold (one process: SINGLE_PROCESS_MAX). */
  readonly maxConnections: number;
  /** Socket worker processes for `n` connections (devgate --socket-workers), if any. */
  readonly socketWorkers?: (n: number) => number;
  /** Credentials for connection i (device tokens), when auth is on. */
  readonly credentials?: (i: number) => { username: string; password: string };
}

/** What loop-probe writes after a SIGWINCH: the heap right after a full collection. */
type GcProbe = LoopProbe & { readonly heapAfterGcBytes?: number; readonly gcSamples?: number };

/**
 * A probe sample whose heap figure follows a full GC (Node brokers; undefined for others). The
 * probe writes it at once and before the GC pause reaches its delay histogram.
 */
async function gcProbe(broker: BrokerHandle): Promise<LoopProbe | undefined> {
  const last = broker.probe() as GcProbe | undefined;
  if (last === undefined) return undefined;
  const seen = last.gcSamples ?? 0;
  process.kill(broker.pid, 'SIGWINCH');
  for (let waited = 0; waited < 10_000; waited += 50) {
    await sleep(50);
    const probe = broker.probe() as GcProbe | undefined;
    if (probe?.heapAfterGcBytes !== undefined && (probe.gcSamples ?? 0) > seen)
      return { ...probe, heapUsedBytes: probe.heapAfterGcBytes };
  }
  return undefined; // a probe without gc: no heap figure rather than a misleading one
}

export interface PlatformTargetOptions {
  /** Another build's CLI (before/after with --baseline-cli). */
  readonly cli?: string;
  /** Run with `--socket-workers socketWorkersFor(n)`: above one process's open-files limit. */
  readonly socketWorkers?: boolean;
}

function platformLabel(options: PlatformTargetOptions, workers: number): string {
  const base = options.cli === undefined ? 'devgate start' : 'devgate start-baseline';
  return workers === 0 ? base : `${base}, ${workers} socket worker${workers === 1 ? '' : 's'}`;
}

/** devgate start with device tokens, in one process or with socket workers. */
export function platformTarget(
  prepared: PreparedPlatform,
  devices: number,
  options: PlatformTargetOptions = {},
): ConnectionsTarget {
  const workersFor = (n: number): number => (options.socketWorkers === true ? socketWorkersFor(n) : 0);
  return {
    // A fresh copy per start: nothing of one run leaks into the next.
    start: async (n) => {
      const workers = workersFor(n);
      const copy = await preparePlatform(devices, () => undefined);
      const handle = await startDevgate({
        command: 'start',
        dataDir: copy.dataDir,
        label: platformLabel(options, workers),
        ...(options.cli === undefined ? {} : { cli: options.cli }),
        ...(workers === 0 ? {} : { extraArgs: ['--socket-workers', String(workers)] }),
      });
      return {
        ...handle,
        stop: async () => {
          await handle.stop();
          copy.cleanup();
        },
      };
    },
    auth: 'device token',
    maxConnections: options.socketWorkers === true ? devices : SINGLE_PROCESS_MAX,
    ...(options.socketWorkers === true ? { socketWorkers: workersFor } : {}),
    credentials: (i) => ({ username: 'device', password: prepared.tokens[i]! }),
  };
}

/** The plain broker of another build (`--baseline-cli`), run right after this build's. */
export function baselineBrokerTarget(cli: string): ConnectionsTarget {
  return {
    start: () => startDevgate({ command: 'broker', cli, label: 'devgate-baseline' }),
    auth: 'anonymous',
    maxConnections: SINGLE_PROCESS_MAX,
  };
}

/** Tree memory and CPU figures of one run: whole tree, and the main process alone. */
function treeFigures(
  before: TreeSample | undefined,
  stormStart: TreeSample | undefined,
  stormEnd: TreeSample | undefined,
  after: TreeSample | undefined,
  connected: number,
): Partial<ConnectionsResult> {
  const perConn = (grown: number): number => (connected > 0 ? grown / connected : 0);
  return {
    ...(before === undefined || after === undefined
      ? {}
      : {
          rssBeforeBytes: before.rssBytes,
          rssAfterBytes: after.rssBytes,
          rssPerConnection: perConn(after.rssBytes - before.rssBytes),
          mainRssAfterBytes: after.main.rssBytes,
          mainRssPerConnection: perConn(after.main.rssBytes - before.main.rssBytes),
          fds: after.members.flatMap((m) => (m.fds === undefined ? [] : [m.fds])),
        }),
    ...(stormStart === undefined || stormEnd === undefined
      ? {}
      : {
          connectCpu: {
            tree: cpuPercent(stormStart, stormEnd),
            main: cpuPercent(stormStart.main, stormEnd.main),
          },
        }),
  };
}

/** PINGREQ round trips on about 200 of the idle connections, and how many are still open. */
async function pingSample(pool: WorkerPool): Promise<{ rtt: HistogramSummary; open: number }> {
  const pings = await pool.each<{ hist: HistogramData; open?: number }>(() => ({
    op: 'ping',
    sample: Math.ceil(200 / pool.size),
  }));
  const rtt = new Histogram();
  let open = 0;
  for (const p of pings) {
    if (p === undefined) continue;
    rtt.merge(p.hist);
    open += p.open ?? 0;
  }
  return { rtt: rtt.summary(), open };
}

/** Opens `n` idle connections against a fresh broker, measures, closes. */
export async function runConnections(
  target: ConnectionsTarget,
  n: number,
  progress: Progress,
): Promise<ConnectionsResult> {
  const broker = await target.start(n);
  const workers = target.socketWorkers?.(n) ?? 0;
  const base = {
    scenario: 'connections' as const,
    broker: broker.label,
    auth: target.auth,
    target: n,
    ...(workers === 0 ? {} : { socketWorkers: workers }),
  };
  const pool = await WorkerPool.start(Math.max(1, Math.ceil(n / PER_WORKER)));
  try {
    await sleep(1000);
    const before = sampleTree(broker.pid);
    const probeBefore = await gcProbe(broker);
    broker.resetProbe();
    const fleet = new Fleet(pool, broker);
    progress.step(`[4] ${broker.label}: opening ${n.toLocaleString('en-US')} connections`);
    const stormStart = sampleTree(broker.pid);
    const generatorsStart = pool.pids.map(sampleProcess);
    const { summary } = await fleet.connect(
      fleet.place(n),
      (i) => ({ clientId: `idle-${i}`, ...(target.credentials?.(i) ?? {}) }),
      {
        concurrency: Math.max(1, Math.min(CONCURRENCY, Math.floor(MAX_TOTAL_CONCURRENCY / pool.size))),
        keepalive: 60,
        timeoutMs: 60_000,
      },
    );
    const stormEnd = sampleTree(broker.pid);
    const generatorCpu = pool.pids
      .map((pid, i) => cpuPercent(generatorsStart[i], sampleProcess(pid)))
      .reduce((a, b) => a + b, 0);
    progress.step(`[4] ${broker.label}: ${summary.ok.toLocaleString('en-US')} connected, settling`);
    await sleep(2000);
    const after = sampleTree(broker.pid, { fds: true });
    const probeAfter = await gcProbe(broker);
    const ping = await pingSample(pool);
    const connected = summary.ok;
    await fleet.closeAll();
    return {
      ...base,
      connected,
      failed: summary.failed + summary.refused,
      connectPerSec: summary.perSecond,
      connectLatency: summary.connectLatency.summary(),
      ...treeFigures(before, stormStart, stormEnd, after, connected),
      generatorCpu,
      ...(probeBefore === undefined || probeAfter === undefined
        ? {}
        : {
            heapPerConnection:
              connected > 0 ? (probeAfter.heapUsedBytes - probeBefore.heapUsedBytes) / connected : 0,
            loopDelayMs: probeAfter.loopDelayMs,
          }),
      pingRtt: ping.rtt,
      openAtPing: ping.open,
      ...(summary.errors.length > 0 && connected < n ? { error: summary.errors.join('; ') } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await pool.close();
    await broker.stop();
  }
}
