import type { QoS } from '../../src/mqtt/codec/packet.js';
import type { BrokerHandle } from '../brokers/broker-process.js';
import { type ClientRef, Fleet } from '../lib/fleet.js';
import {
  type LatencyResult,
  measureLatency,
  measureThroughput,
  type PublishPlan,
  type ThroughputResult,
} from '../lib/phases.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';

/** Scenario 1: the plain broker, 64-byte payloads, MQTT 3.1.1, persistence off everywhere. */
export interface PlainCase {
  readonly id: string;
  readonly name: string;
  readonly publishers: number;
  readonly subscribers: number;
  readonly qos: QoS;
  /** Messages published per second in the latency phase (deliveries = rate x subscribers). */
  readonly latencyRate: number;
  /** Closed-loop window, messages per publishing worker. */
  readonly window: number;
}

export interface PlainTiming {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly latencyMs: number;
}

export interface PlainResult {
  readonly scenario: 'plain';
  readonly case: string;
  readonly name: string;
  readonly broker: string;
  readonly workers: number;
  readonly subscribers: number;
  readonly throughput?: ThroughputResult;
  readonly latency?: LatencyResult;
  readonly error?: string;
}

export function plainCases(full: boolean): PlainCase[] {
  const cases: PlainCase[] = [
    {
      id: 'p2p-q0',
      name: '1 → 1, QoS 0',
      publishers: 1,
      subscribers: 1,
      qos: 0,
      latencyRate: 10_000,
      window: 2000,
    },
    {
      id: 'p2p-q1',
      name: '1 → 1, QoS 1',
      publishers: 1,
      subscribers: 1,
      qos: 1,
      latencyRate: 10_000,
      window: 2000,
    },
    {
      id: 'fanin-q0',
      name: 'fan-in 1000 → 1, QoS 0',
      publishers: 1000,
      subscribers: 1,
      qos: 0,
      latencyRate: 10_000,
      window: 8000,
    },
    {
      id: 'fanout-q0',
      name: 'fan-out 1 → 1000, QoS 0',
      publishers: 1,
      subscribers: 1000,
      qos: 0,
      latencyRate: 20,
      window: 40,
    },
  ];
  if (!full) return cases;
  return [
    ...cases,
    {
      id: 'fanin-q1',
      name: 'fan-in 1000 → 1, QoS 1',
      publishers: 1000,
      subscribers: 1,
      qos: 1,
      latencyRate: 10_000,
      window: 8000,
    },
    {
      id: 'fanout-q1',
      name: 'fan-out 1 → 1000, QoS 1',
      publishers: 1,
      subscribers: 1000,
      qos: 1,
      latencyRate: 20,
      window: 40,
    },
  ];
}

function topicsFor(c: PlainCase): { filter: string; topic: (i: number) => string } {
  if (c.publishers > 1) return { filter: `bench/${c.id}/+`, topic: (i) => `bench/${c.id}/${i}` };
  return { filter: `bench/${c.id}/t`, topic: () => `bench/${c.id}/t` };
}

async function connectCase(fleet: Fleet, c: PlainCase): Promise<{ publishers: ClientRef[] }> {
  const workers = fleet.pool.size;
  // Subscribers start on the last worker, publishers on the first: 1 → 1 spans two processes.
  const subs = await fleet.connect(fleet.place(c.subscribers, workers - 1), (i) => ({
    clientId: `s-${c.id}-${i}`,
  }));
  const pubs = await fleet.connect(fleet.place(c.publishers, 0), (i) => ({ clientId: `p-${c.id}-${i}` }));
  const failures = subs.summary.failed + subs.summary.refused + pubs.summary.failed + pubs.summary.refused;
  if (failures > 0)
    throw new Error(
      `${failures} connections failed: ${[...subs.summary.errors, ...pubs.summary.errors].join('; ')}`,
    );
  const { filter } = topicsFor(c);
  const perWorker = new Map<number, number[]>();
  for (const ref of subs.refs) perWorker.set(ref.worker, [...(perWorker.get(ref.worker) ?? []), ref.client]);
  await fleet.pool.each((w) => {
    const list = perWorker.get(w);
    return list === undefined
      ? undefined
      : { op: 'subscribe', qos: c.qos, subs: list.map((client) => ({ client, filters: [filter] })) };
  });
  return { publishers: pubs.refs };
}

/** Runs one case against one broker: saturation throughput, then latency at a fixed rate. */
export async function runPlainCase(
  pool: WorkerPool,
  broker: BrokerHandle,
  c: PlainCase,
  timing: PlainTiming,
  progress: Progress,
): Promise<PlainResult> {
  const fleet = new Fleet(pool, broker);
  const base = {
    scenario: 'plain' as const,
    case: c.id,
    name: c.name,
    broker: broker.label,
    workers: pool.size,
    subscribers: c.subscribers,
  };
  try {
    const { publishers } = await connectCase(fleet, c);
    const { topic } = topicsFor(c);
    const plan: PublishPlan = {
      publishers,
      topics: (i) => [topic(i)],
      qos: c.qos,
      payload: 'stamp',
      fanout: c.subscribers,
      maxInflight: c.publishers > 1 ? 50 : 1000,
      format: 'stamp',
    };
    progress.step(`[1] ${broker.label}: ${c.name}: throughput`);
    const throughput = await measureThroughput(fleet, plan, { ...timing, window: c.window }, progress);
    progress.step(`[1] ${broker.label}: ${c.name}: latency at ${c.latencyRate} msg/s`);
    const latency = await measureLatency(
      fleet,
      plan,
      { ratePerSec: c.latencyRate, durationMs: timing.latencyMs },
      progress,
    );
    return { ...base, throughput, latency };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await fleet.closeAll().catch(() => undefined);
  }
}
