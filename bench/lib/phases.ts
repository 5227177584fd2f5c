import type { QoS } from '../../src/mqtt/codec/packet.js';
import { sleep } from './clock.js';
import type { ClientRef, Fleet } from './fleet.js';
import { Histogram, type HistogramSummary } from './histogram.js';
import { cpuPercent, sampleProcess } from './proc-stats.js';
import type { Progress } from './progress.js';
import type { PayloadKind } from './wire.js';
import type { Pacing, PublishResult, ReceiveFormat, ReceiveResult } from './worker-protocol.js';

export interface PublishPlan {
  readonly publishers: readonly ClientRef[];
  /** Topics per publisher (round-robin per message). */
  readonly topics: (publisher: number) => readonly string[];
  readonly qos: QoS;
  readonly payload: PayloadKind;
  readonly fanout: number;
  readonly maxInflight: number;
  readonly format: ReceiveFormat;
  /** One write per PUBLISH, the next sent on its PUBACK (see the publish command). */
  readonly perPacketWrites?: boolean;
}

export interface ThroughputResult {
  /** Deliveries per second at the subscribers, measured after the warm-up. */
  readonly deliveredPerSec: number;
  readonly publishedPerSec: number;
  readonly latency: HistogramSummary;
  readonly ackLatency: HistogramSummary;
  readonly brokerCpu: number;
  readonly generatorCpu: number;
  readonly lost: number;
}

export interface LatencyResult {
  readonly ratePerSec: number;
  readonly sent: number;
  readonly received: number;
  readonly latency: HistogramSummary;
  readonly ackLatency: HistogramSummary;
}

export function publishCommands(fleet: Fleet, plan: PublishPlan, pacing: Pacing, durationMs: number) {
  const workers = fleet.pool.size;
  const perWorker: { client: number; topics: readonly string[] }[][] = Array.from(
    { length: workers },
    () => [],
  );
  plan.publishers.forEach((ref, i) => {
    perWorker[ref.worker]!.push({ client: ref.client, topics: plan.topics(i) });
  });
  const active = perWorker.filter((list) => list.length > 0).length;
  return (w: number) => {
    if (perWorker[w]!.length === 0) return undefined;
    // A rate is split between the workers that publish; a window is per worker.
    const split: Pacing =
      pacing.kind === 'rate' ? { kind: 'rate', perSecond: pacing.perSecond / active } : pacing;
    return {
      op: 'publish' as const,
      publishers: perWorker[w]!,
      qos: plan.qos,
      payload: plan.payload,
      durationMs,
      pacing: split,
      fanout: plan.fanout,
      maxInflight: plan.maxInflight,
      ...(plan.perPacketWrites === true ? { perPacketWrites: true } : {}),
    };
  };
}

export async function resetReceivers(fleet: Fleet, format: ReceiveFormat, credits: boolean): Promise<void> {
  if (credits) fleet.pool.resetDeliveries();
  await fleet.pool.each(() => ({ op: 'recv-reset', format, credits }));
}

export async function receiverStats(
  fleet: Fleet,
  stop: boolean,
): Promise<{ perSec: number; received: number; hist: Histogram }> {
  const results = await fleet.pool.each<ReceiveResult>(() => ({ op: 'recv-stats', stop }));
  const hist = new Histogram();
  let perSec = 0;
  let received = 0;
  for (const r of results) {
    if (r === undefined) continue;
    hist.merge(r.hist);
    received += r.received;
    if (r.elapsedMicros > 0) perSec += r.received / (r.elapsedMicros / 1e6);
  }
  return { perSec, received, hist };
}

export function mergePublish(results: readonly (PublishResult | undefined)[]) {
  const ack = new Histogram();
  let sent = 0;
  let lost = 0;
  let elapsedMs = 0;
  for (const r of results) {
    if (r === undefined) continue;
    ack.merge(r.ackHist);
    sent += r.sent;
    lost += r.lost;
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
  }
  return { ack, sent, lost, elapsedMs };
}

/** Waits until no delivery arrived for `quietMs` (backlog drained), at most `maxMs`. */
export async function settle(fleet: Fleet, quietMs = 300, maxMs = 10_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = -1;
  while (performance.now() < deadline) {
    const now = fleet.pool.deliveredTotal;
    if (now === last) return;
    last = now;
    await sleep(quietMs);
  }
}

/**
 * Saturation: a closed loop keeps `window` messages per worker in flight; after `warmupMs` the
 * subscribers count for `measureMs`. Broker and generator CPU are sampled over the same span.
 */
export async function measureThroughput(
  fleet: Fleet,
  plan: PublishPlan,
  timing: { warmupMs: number; measureMs: number; window: number },
  progress: Progress,
): Promise<ThroughputResult> {
  await resetReceivers(fleet, plan.format, true);
  const command = publishCommands(
    fleet,
    plan,
    { kind: 'window', window: timing.window },
    timing.warmupMs + timing.measureMs + 200,
  );
  const publishing = fleet.pool.each<PublishResult>(command);
  const ticker = progress.track(() => fleet.pool.deliveredTotal);
  await sleep(timing.warmupMs);
  await resetReceivers(fleet, plan.format, false);
  const brokerBefore = fleet.broker.sample();
  const genBefore = fleet.pool.pids.map(sampleProcess);
  await sleep(timing.measureMs);
  const stats = await receiverStats(fleet, false);
  const brokerAfter = fleet.broker.sample();
  const genAfter = fleet.pool.pids.map(sampleProcess);
  const published = mergePublish(await publishing);
  ticker.stop();
  await settle(fleet);
  await receiverStats(fleet, true);
  return {
    deliveredPerSec: stats.perSec,
    publishedPerSec: (published.sent / published.elapsedMs) * 1000,
    latency: stats.hist.summary(),
    ackLatency: published.ack.summary(),
    brokerCpu: cpuPercent(brokerBefore, brokerAfter),
    generatorCpu: genBefore.reduce((sum, before, i) => sum + cpuPercent(before, genAfter[i]), 0),
    lost: published.lost,
  };
}

/** Open loop at a fixed rate: end-to-end latency percentiles and what arrived of what was sent. */
export async function measureLatency(
  fleet: Fleet,
  plan: PublishPlan,
  timing: { ratePerSec: number; durationMs: number },
  progress: Progress,
): Promise<LatencyResult> {
  await resetReceivers(fleet, plan.format, true);
  const ticker = progress.track(() => fleet.pool.deliveredTotal);
  const command = publishCommands(
    fleet,
    plan,
    { kind: 'rate', perSecond: timing.ratePerSec },
    timing.durationMs,
  );
  const published = mergePublish(await fleet.pool.each<PublishResult>(command));
  await settle(fleet);
  ticker.stop();
  const stats = await receiverStats(fleet, true);
  return {
    ratePerSec: timing.ratePerSec,
    sent: published.sent,
    received: stats.received,
    latency: stats.hist.summary(),
    ackLatency: published.ack.summary(),
  };
}
