import type { BrokerHandle } from '../brokers/broker-process.js';
import { Histogram } from './histogram.js';
import type { WorkerPool } from './worker-pool.js';
import type { ClientSpec, ConnectResult } from './worker-protocol.js';

/** A client as the orchestrator addresses it: which worker, and its index there. */
export interface ClientRef {
  readonly worker: number;
  readonly client: number;
}

export interface ConnectSummary {
  readonly ok: number;
  readonly failed: number;
  readonly refused: number;
  readonly errors: readonly string[];
  readonly connectLatency: Histogram;
  /** CONNACKs per second from the first to the last, over all workers. */
  readonly perSecond: number;
  readonly wallMs: number;
}

/**
 * Loopback source addresses used round-robin (each has its own ephemeral port range). Many, so
 * that each holds few ports: a bound source address searches its ports for a free one past
 * those in TIME_WAIT, and with 100k connections over 16 addresses (the previous count) that
 * search cost the generators more CPU than the broker used, right after an earlier run.
 */
const SOURCES = 250;

export function sourceAddress(n: number): string {
  return `127.0.0.${1 + (n % SOURCES)}`;
}

/**
 * The clients of one scenario across the worker pool. Indices in a worker follow the order of its
 * connect commands, so the fleet can name every client without asking.
 */
export class Fleet {
  private readonly counts: number[];
  private serial = 0;

  constructor(
    readonly pool: WorkerPool,
    readonly broker: BrokerHandle,
  ) {
    this.counts = new Array(pool.size).fill(0);
  }

  /** Spreads `n` clients round-robin over the workers, starting at `firstWorker`. */
  place(n: number, firstWorker = 0): number[] {
    return Array.from({ length: n }, (_, i) => (firstWorker + i) % this.pool.size);
  }

  /**
   * Connects clients (`spec(i)` for the i-th, `worker[i]` its worker); returns refs in order.
   * `concurrency` CONNECTs are outstanding per worker at once. `target`: another listener than
   * the fleet's broker (a cluster node of its own).
   */
  async connect(
    workers: readonly number[],
    spec: (i: number) => Omit<ClientSpec, 'source'>,
    options: {
      concurrency?: number;
      keepalive?: number;
      timeoutMs?: number;
      target?: { host: string; port: number };
    } = {},
  ): Promise<{ refs: ClientRef[]; summary: ConnectSummary }> {
    const target = options.target ?? this.broker;
    const byWorker: ClientSpec[][] = this.counts.map(() => []);
    const refs = workers.map((worker, i) => {
      const ref = { worker, client: this.counts[worker]! + byWorker[worker]!.length };
      byWorker[worker]!.push({ ...spec(i), source: sourceAddress(this.serial++) });
      return ref;
    });
    const started = performance.now();
    const results = await this.pool.each<ConnectResult>((w) =>
      byWorker[w]!.length === 0
        ? undefined
        : {
            op: 'connect',
            host: target.host,
            port: target.port,
            clients: byWorker[w]!,
            concurrency: options.concurrency ?? 200,
            keepalive: options.keepalive ?? 60,
            timeoutMs: options.timeoutMs ?? 30_000,
          },
    );
    const wallMs = performance.now() - started;
    byWorker.forEach((list, w) => {
      this.counts[w]! += list.length;
    });
    return { refs, summary: summarize(results, wallMs) };
  }

  /** Closes every client of every worker (DISCONNECT), resetting the indices. */
  async closeAll(): Promise<void> {
    await this.pool.each(() => ({ op: 'close' }));
    this.counts.fill(0);
  }
}

function summarize(results: readonly (ConnectResult | undefined)[], wallMs: number): ConnectSummary {
  const connectLatency = new Histogram();
  let ok = 0;
  let failed = 0;
  let refused = 0;
  const errors: string[] = [];
  for (const r of results) {
    if (r === undefined) continue;
    ok += r.ok;
    failed += r.failed;
    refused += r.refused;
    errors.push(...r.errors);
    connectLatency.merge(r.hist);
  }
  const spanSeconds = wallMs / 1000;
  return {
    ok,
    failed,
    refused,
    errors: errors.slice(0, 5),
    connectLatency,
    perSecond: spanSeconds > 0 ? ok / spanSeconds : 0,
    wallMs,
  };
}

/** Groups refs by worker: worker index → client indices. */
export function byWorker(refs: readonly ClientRef[], workers: number): number[][] {
  const out: number[][] = Array.from({ length: workers }, () => []);
  for (const ref of refs) out[ref.worker]!.push(ref.client);
  return out;
}
