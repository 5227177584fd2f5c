import type { BrokerHandle } from '../brokers/broker-process.js';
import { BenchClient, type ConnectOptions } from '../lib/bench-client.js';
import { cpuPercent, type ProcSample } from '../lib/proc-stats.js';
import type { Progress } from '../lib/progress.js';
import { publishSequence, SequenceSink, waitForProgress } from '../lib/sequenced.js';

/**
 * Scenario 5: deep backlogs of QoS 1 messages for one subscriber, the same per-client limits on
 * every broker (1,000 in flight, 200,000 queued). `live`: one publisher → one connected
 * subscriber, the queue grows whenever the broker takes messages faster than it delivers them.
 * `offline`: a persistent session (clean session 0) is offline while the messages are published,
 * then reconnects and drains them.
 */
export const BACKLOG_LIMITS = { maxInflight: 1000, maxQueued: 200_000 } as const;

export interface BacklogCase {
  readonly id: 'backlog-live' | 'backlog-offline';
  readonly name: string;
  readonly messages: number;
}

export interface BacklogResult {
  readonly scenario: 'backlog';
  readonly case: BacklogCase['id'];
  readonly name: string;
  readonly broker: string;
  /** 1-based repetition of this case and broker in the run. */
  readonly round: number;
  readonly messages: number;
  /** Unique messages the subscriber received. */
  readonly delivered?: number;
  /** Published, acknowledged to the publisher and never delivered: dropped by the broker. */
  readonly dropped?: number;
  readonly duplicates?: number;
  readonly outOfOrder?: number;
  /** live: deliveries ÷ (first publish → last delivery); offline: deliveries ÷ (reconnect → last). */
  readonly deliveredPerSec?: number;
  /** offline: reconnect (CONNECT written) → last message, ms; live: first publish → last message. */
  readonly timeToLastMs?: number;
  /** Publisher's acknowledged messages per second. */
  readonly publishedPerSec?: number;
  readonly brokerCpu?: number;
  /** Largest broker RSS seen during the case, and the RSS at its start (the backlog's memory is the difference). */
  readonly peakRssBytes?: number;
  readonly startRssBytes?: number;
  readonly error?: string;
}

export function backlogCases(quick: boolean): BacklogCase[] {
  return [
    { id: 'backlog-live', name: '1 → 1 QoS 1, deep queue', messages: quick ? 50_000 : 200_000 },
    {
      id: 'backlog-offline',
      name: 'offline session drain, QoS 1',
      messages: quick ? 50_000 : 100_000,
    },
  ];
}

const TOPIC = 'bench/backlog';
/** Deliveries (or acks) stopping for this long end a phase: whatever is missing was dropped. */
const IDLE_MS = 3000;

function client(broker: BrokerHandle, clientId: string, clean = true): ConnectOptions {
  return {
    host: broker.host,
    port: broker.port,
    source: '127.0.0.1',
    clientId,
    keepalive: 600,
    timeoutMs: 15_000,
    clean,
  };
}

/** Broker samples: CPU over the case and the largest RSS. */
class BrokerWatch {
  readonly #broker: BrokerHandle;
  readonly #first: ProcSample | undefined;
  peakRss = 0;
  readonly startRss: number;

  constructor(broker: BrokerHandle) {
    this.#broker = broker;
    this.#first = broker.sample();
    this.startRss = this.#first?.rssBytes ?? 0;
    this.tick();
  }

  tick = (): void => {
    this.peakRss = Math.max(this.peakRss, this.#broker.sample()?.rssBytes ?? 0);
  };

  cpu(): number {
    return cpuPercent(this.#first, this.#broker.sample());
  }
}

async function runLive(broker: BrokerHandle, c: BacklogCase, progress: Progress) {
  const received = new SequenceSink(c.messages);
  const subscriber = new BenchClient(received);
  await subscriber.connect(client(broker, 'backlog-sub'));
  await subscriber.subscribe([TOPIC], 1);
  const acked = new SequenceSink(0);
  const publisher = new BenchClient(acked);
  await publisher.connect(client(broker, 'backlog-pub'));
  const watch = new BrokerWatch(broker);
  const tracker = progress.track(() => received.received);
  const start = performance.now();
  const publishing = publishSequence(publisher, acked, {
    topic: TOPIC,
    total: c.messages,
    window: BACKLOG_LIMITS.maxInflight,
    idleMs: IDLE_MS,
  });
  let publishedAt = 0;
  void publishing.then(() => {
    publishedAt = performance.now();
  });
  await waitForProgress(
    () => received.received >= c.messages,
    () => received.received + acked.acks,
    IDLE_MS,
    watch.tick,
  );
  const published = await publishing;
  tracker.stop();
  const elapsed = received.lastAt - start;
  await Promise.all([publisher.close(), subscriber.close()]);
  return {
    ...counts(received, published),
    deliveredPerSec: (received.received / elapsed) * 1000,
    timeToLastMs: elapsed,
    publishedPerSec: (published / ((publishedAt || performance.now()) - start)) * 1000,
    brokerCpu: watch.cpu(),
    peakRssBytes: watch.peakRss,
    startRssBytes: watch.startRss,
  };
}

async function runOffline(broker: BrokerHandle, c: BacklogCase, progress: Progress, label: string) {
  const clientId = 'backlog-offline';
  const first = new BenchClient(new SequenceSink(0));
  await first.connect(client(broker, clientId, false));
  await first.subscribe([TOPIC], 1);
  await first.close();
  const watch = new BrokerWatch(broker);
  const acked = new SequenceSink(0);
  const publisher = new BenchClient(acked);
  await publisher.connect(client(broker, 'backlog-pub'));
  progress.step(`${label}: publishing to the offline session`);
  const publishStart = performance.now();
  const published = await publishSequence(publisher, acked, {
    topic: TOPIC,
    total: c.messages,
    window: BACKLOG_LIMITS.maxInflight,
    idleMs: IDLE_MS,
  });
  const publishedPerSec = (published / (performance.now() - publishStart)) * 1000;
  await publisher.close();
  watch.tick();

  const received = new SequenceSink(c.messages);
  const back = new BenchClient(received);
  const tracker = progress.track(() => received.received);
  const start = performance.now();
  await back.connect(client(broker, clientId, false));
  await waitForProgress(
    () => received.received >= c.messages,
    () => received.received,
    IDLE_MS,
    watch.tick,
  );
  tracker.stop();
  const elapsed = received.lastAt - start;
  await back.close();
  return {
    ...counts(received, published),
    deliveredPerSec: (received.received / elapsed) * 1000,
    timeToLastMs: elapsed,
    publishedPerSec,
    brokerCpu: watch.cpu(),
    peakRssBytes: watch.peakRss,
    startRssBytes: watch.startRss,
  };
}

function counts(received: SequenceSink, published: number) {
  return {
    delivered: received.received,
    dropped: published - received.received,
    duplicates: received.duplicates,
    outOfOrder: received.outOfOrder,
  };
}

/** A broker to measure: started afresh for every case and round. */
export interface BacklogTarget {
  readonly label: string;
  start(): Promise<BrokerHandle>;
}

/** Runs one case against a freshly started broker (stopped afterwards). */
export async function runBacklogCase(
  target: BacklogTarget,
  c: BacklogCase,
  round: number,
  progress: Progress,
): Promise<BacklogResult> {
  const base = { scenario: 'backlog' as const, case: c.id, name: c.name, round, messages: c.messages };
  let broker: BrokerHandle | undefined;
  try {
    broker = await target.start();
    const label = `[5] ${c.name}: ${broker.label} (round ${round})`;
    progress.step(label);
    const figures =
      c.id === 'backlog-live'
        ? await runLive(broker, c, progress)
        : await runOffline(broker, c, progress, label);
    return { ...base, broker: broker.label, ...figures };
  } catch (err) {
    return { ...base, broker: target.label, error: (err as Error).message };
  } finally {
    await broker?.stop();
  }
}
