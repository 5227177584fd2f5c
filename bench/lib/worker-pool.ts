import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerCommand, WorkerReply } from './worker-protocol.js';

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };
type Command = WorkerCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * The orchestrator's handle on the load-generator processes. Besides request/response commands
 * it relays deliveries: subscriber workers report how many messages of each origin worker they
 * received, and each publishing worker is told its total (the closed-loop window's credit).
 */
export class WorkerPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** delivered[receiver][origin], cumulative since resetDeliveries(). */
  private delivered: number[][] = [];
  private credited: number[] = [];
  /** Deliveries without an origin worker, by receiving worker. */
  private other: number[] = [];

  private constructor(private readonly workers: ChildProcess[]) {
    workers.forEach((worker, index) => {
      worker.on('message', (reply: WorkerReply) => this.onReply(index, reply));
      worker.on('exit', (code) => {
        for (const [id, p] of this.pending) {
          p.reject(new Error(`load worker ${index} exited (${code})`));
          this.pending.delete(id);
        }
      });
    });
  }

  static async start(count: number): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, (_, index) =>
      fork(WORKER, [], { env: { ...process.env, BENCH_WORKER_INDEX: String(index) }, stdio: 'inherit' }),
    );
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
          }),
      ),
    );
    return new WorkerPool(workers);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Deliveries reported by every worker since the last reset. */
  get deliveredTotal(): number {
    let total = 0;
    for (const row of this.delivered) for (const n of row ?? []) total += n ?? 0;
    for (const n of this.other) total += n ?? 0;
    return total;
  }

  call<T>(worker: number, command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[worker]!.send({ ...command, id });
    });
  }

  /** Runs `command(i)` on every worker where it is defined; results by worker index. */
  async each<T>(command: (index: number) => Command | undefined): Promise<(T | undefined)[]> {
    return Promise.all(
      this.workers.map((_, i) => {
        const cmd = command(i);
        return cmd === undefined ? Promise.resolve(undefined) : this.call<T>(i, cmd);
      }),
    );
  }

  resetDeliveries(): void {
    this.delivered = [];
    this.credited = [];
    this.other = [];
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null) return resolve();
            worker.once('exit', () => resolve());
            worker.send({ op: 'exit' });
            setTimeout(() => worker.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }

  private onReply(index: number, reply: WorkerReply): void {
    if (reply.op === 'delivered') {
      this.other[index] = reply.other;
      this.relay(index, reply.counts);
      return;
    }
    if (reply.op !== 'done' && reply.op !== 'error') return;
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (reply.op === 'done') pending.resolve(reply.result);
    else pending.reject(new Error(`worker ${index}: ${reply.message}`));
  }

  private relay(receiver: number, counts: number[]): void {
    this.delivered[receiver] = counts;
    for (let origin = 0; origin < counts.length; origin++) {
      // A worker counts deliveries of its own messages itself (receiver.ts): leave its row out.
      let total = 0;
      this.delivered.forEach((row, r) => {
        if (r !== origin) total += row?.[origin] ?? 0;
      });
      if (total !== this.credited[origin] && origin < this.workers.length) {
        this.credited[origin] = total;
        this.workers[origin]!.send({ op: 'credit', delivered: total });
      }
    }
  }
}
