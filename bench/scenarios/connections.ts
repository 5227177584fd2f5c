import type { BrokerHandle, LoopProbe } from '../brokers/broker-process.js';
import { startDevgate } from '../brokers/devgate.js';
import { type PreparedPlatform, preparePlatform } from '../brokers/devgate-platform.js';
import { sleep } from '../lib/clock.js';
import { Fleet } from '../lib/fleet.js';
import { Histogram, type HistogramData, type HistogramSummary } from '../lib/histogram.js';
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
  readonly rssBeforeBytes?: number;
  readonly rssAfterBytes?: number;
  readonly rssPerConnection?: number;
  /** Node brokers: heap growth per connection, both samples taken after a full GC (loop-probe). */
  readonly heapPerConnection?: number;
  /** Node brokers: event-loop delay over the connect storm and the idle period after it. */
  readonly loopDelayMs?: LoopProbe['loopDelayMs'];
  /** PINGREQ round trip on a sample of the idle connections. */
  readonly pingRtt?: HistogramSummary;
  readonly error?: string;
}

/** Connections per generator process: below the 20,000 open-files limit with room to spare. */
const PER_WORKER = 10_000;

export interface ConnectionsTarget {
  readonly start: () => Promise<BrokerHandle>;
  readonly auth: 'anonymous' | 'device token';
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

/** devgate start with device tokens; `cli`: another build's (before/after with --baseline-cli). */
export function platformTarget(prepared: PreparedPlatform, devices: number, cli?: string): ConnectionsTarget {
  return {
    // A fresh copy per start: nothing of one run leaks into the next.
    start: async () => {
      const copy = await preparePlatform(devices, () => undefined);
      const handle = await startDevgate({
        command: 'start',
        dataDir: copy.dataDir,
        ...(cli === undefined ? {} : { cli, label: 'devgate start-baseline' }),
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
    credentials: (i) => ({ username: 'device', password: prepared.tokens[i]! }),
  };
}

/** The plain broker of another build (`--baseline-cli`), run right after this build's. */
export function baselineBrokerTarget(cli: string): ConnectionsTarget {
  return {
    start: () => startDevgate({ command: 'broker', cli, label: 'devgate-baseline' }),
    auth: 'anonymous',
  };
}

/** Opens `n` idle connections against a fresh broker, measures, closes. */
export async function runConnections(
  target: ConnectionsTarget,
  n: number,
  progress: Progress,
): Promise<ConnectionsResult> {
  const broker = await target.start();
  const base = { scenario: 'connections' as const, broker: broker.label, auth: target.auth, target: n };
  const pool = await WorkerPool.start(Math.max(1, Math.ceil(n / PER_WORKER)));
  try {
    await sleep(1000);
    const before = broker.sample();
    const probeBefore = await gcProbe(broker);
    broker.resetProbe();
    const fleet = new Fleet(pool, broker);
    progress.step(`[4] ${broker.label}: opening ${n.toLocaleString('en-US')} connections`);
    const { summary } = await fleet.connect(
      fleet.place(n),
      (i) => ({ clientId: `idle-${i}`, ...(target.credentials?.(i) ?? {}) }),
      { concurrency: 250, keepalive: 60, timeoutMs: 60_000 },
    );
    progress.step(`[4] ${broker.label}: ${summary.ok.toLocaleString('en-US')} connected, settling`);
    await sleep(2000);
    const after = broker.sample();
    const probeAfter = await gcProbe(broker);
    const pings = await pool.each<{ hist: HistogramData }>(() => ({
      op: 'ping',
      sample: Math.ceil(200 / pool.size),
    }));
    const ping = new Histogram();
    for (const p of pings) if (p !== undefined) ping.merge(p.hist);
    const connected = summary.ok;
    await fleet.closeAll();
    return {
      ...base,
      connected,
      failed: summary.failed + summary.refused,
      connectPerSec: summary.perSecond,
      connectLatency: summary.connectLatency.summary(),
      ...(before === undefined || after === undefined
        ? {}
        : {
            rssBeforeBytes: before.rssBytes,
            rssAfterBytes: after.rssBytes,
            rssPerConnection: connected > 0 ? (after.rssBytes - before.rssBytes) / connected : 0,
          }),
      ...(probeBefore === undefined || probeAfter === undefined
        ? {}
        : {
            heapPerConnection:
              connected > 0 ? (probeAfter.heapUsedBytes - probeBefore.heapUsedBytes) / connected : 0,
            loopDelayMs: probeAfter.loopDelayMs,
          }),
      pingRtt: ping.summary(),
      ...(summary.errors.length > 0 && connected < n ? { error: summary.errors.join('; ') } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await pool.close();
    await broker.stop();
  }
}
