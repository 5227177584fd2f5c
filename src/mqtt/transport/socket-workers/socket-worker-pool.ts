import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../observability/logger.js';
import { closeOnce, listenOn } from '../listen.js';
import type { ConnectionHandler, Listener } from '../types.js';
import {
  FRAME_PIPE_FD,
  type FromWorker,
  type ToWorker,
  type WorkerListenerSpec,
  type WorkerTlsMaterial,
} from './control.js';
import { WorkerLink } from './worker-link.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-main.js', import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const REPLY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;
/** A crashed worker is replaced after this delay, doubled per crash in a row (at most 30 s). */
const RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;
/** Port 0 is resolved to a free port first; a port taken in between is retried this often. */
const FREE_PORT_ATTEMPTS = 5;

/** Where the pool counts its workers (EngineMetrics has these fields; exported on /metrics). */
export interface SocketWorkerCounts {
  socketWorkersRunning: number;
  socketWorkerExits: number;
}

export interface SocketWorkerPoolOptions {
  readonly workers: number;
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
  readonly counts?: SocketWorkerCounts;
}

export type PoolListenOptions = Omit<WorkerListenerSpec, 'listenerId'>;

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly link: WorkerLink;
  /** Answers awaited from this worker, by `listening:<id>` / `closed:<id>`; undefined: it exited. */
  readonly replies: Map<string, (message: FromWorker | undefined) => void>;
  ready: boolean;
  exited: boolean;
}

/** What a listener is for the pool: accepting (workers listen) or stopped (connections stay). */
interface PoolListener {
  spec: WorkerListenerSpec;
  accepting: boolean;
}

/** A free port on `host`, found by binding port 0 and letting it go. */
async function freePort(host: string): Promise<number> {
  const probe = createServer();
  const port = await listenOn(probe, host, 0);
  await closeOnce(probe)();
  return port;
}

/**
 * Socket workers: child processes that own the TCP and TLS sockets of MQTT clients and relay
 * their bytes to this process, where the broker runs unchanged (decision 0006). A process may
 * hold only so many open files; with workers the broker holds one pipe per worker instead of
 * one socket per client, and accepting, reading and TLS run on the other cores. Every worker
 * accepts on the same ports (node:cluster shares the listening socket; the kernel picks).
 */
export class SocketWorkerPool {
  readonly #slots: (Slot | undefined)[];
  readonly #listeners = new Map<number, PoolListener>();
  readonly #crashes: number[];
  #nextListenerId = 1;
  #tlsGeneration = 1;
  #closing = false;

  private constructor(private readonly options: SocketWorkerPoolOptions) {
    this.#slots = new Array<Slot | undefined>(options.workers).fill(undefined);
    this.#crashes = new Array<number>(options.workers).fill(0);
  }

  /** Forks the workers and waits until each is ready. */
  static async start(options: SocketWorkerPoolOptions): Promise<SocketWorkerPool> {
    // Workers accept themselves: round-robin through this process would cost it a hand-over
    // per connection. A global setting of node:cluster, and this pool is its only user.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    const pool = new SocketWorkerPool(options);
    try {
      await Promise.all(pool.#slots.map((_, index) => pool.#fork(index)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** The workers' process ids (for monitoring and tests). */
  get pids(): number[] {
    return this.#live().flatMap((slot) =>
      slot.worker.process.pid === undefined ? [] : [slot.worker.process.pid],
    );
  }

  /** Every worker accepts on `host:port`; resolves with the port once all do. */
  async listen(options: PoolListenOptions): Promise<Listener> {
    const listenerId = this.#nextListenerId++;
    for (let attempt = 1; ; attempt++) {
      // Workers must all ask for the same, known port: with port 0 each would get its own.
      const port = options.port === 0 ? await freePort(options.host) : options.port;
      const spec: WorkerListenerSpec = { ...options, port, listenerId };
      this.#listeners.set(listenerId, { spec, accepting: true });
      try {
        await Promise.all(this.#live().map((slot) => this.#listenOn(slot, spec)));
        return this.#listenerHandle(listenerId, port);
      } catch (err) {
        await this.#closeListener(listenerId);
        const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (options.port !== 0 || !taken || attempt >= FREE_PORT_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * A reloaded certificate: TLS listeners use it for new handshakes. Resolves once every live
   * worker has it (a worker that does not answer is logged; one forked later gets it with its
   * listeners), so a reload reported done is in effect everywhere.
   */
  async updateTls(tls: WorkerTlsMaterial): Promise<void> {
    for (const listener of this.#listeners.values()) {
      if (listener.spec.transport === 'tls') listener.spec = { ...listener.spec, tls };
    }
    const generation = this.#tlsGeneration++;
    const applied = this.#live().map((slot) =>
      this.#awaitReply(slot, `tlsSet:${generation}`, REPLY_TIMEOUT_MS, () =>
        this.#send(slot, { type: 'tls', tls, generation }),
      ).catch((err: unknown) =>
        this.options.logger.error(
          { worker: slot.worker.process.pid, err },
          'socket worker missed a TLS reload',
        ),
      ),
    );
    await Promise.all(applied);
  }

  /** Stops every worker; their remaining connections close. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => (slot === undefined ? undefined : this.#stopWorker(slot))));
  }

  #listenerHandle(listenerId: number, port: number): Listener {
    return {
      port,
      stopAccepting: () => {
        const listener = this.#listeners.get(listenerId);
        if (listener === undefined || !listener.accepting) return;
        listener.accepting = false;
        for (const slot of this.#live()) this.#send(slot, { type: 'stop', listenerId });
      },
      close: () => this.#closeListener(listenerId),
    };
  }

  #live(): Slot[] {
    return this.#slots.filter((slot): slot is Slot => slot?.ready === true && !slot.exited);
  }

  async #fork(index: number): Promise<void> {
    cluster.setupPrimary({
      exec: WORKER_SCRIPT,
      args: [],
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    const worker = cluster.fork();
    const pipe = worker.process.stdio[FRAME_PIPE_FD] as Duplex;
    const slot: Slot = {
      index,
      worker,
      link: new WorkerLink(pipe, this.options.onConnection, this.options.logger),
      replies: new Map(),
      ready: false,
      exited: false,
    };
    this.#slots[index] = slot;
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('exit', (code, signal) => this.#exited(slot, code, signal));
    await this.#awaitReply(slot, 'ready', READY_TIMEOUT_MS, () => undefined);
    for (const { spec, accepting } of this.#listeners.values()) {
      if (accepting) await this.#listenOn(slot, spec);
    }
    slot.ready = true;
    if (this.options.counts !== undefined) this.options.counts.socketWorkersRunning++;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'log') {
      this.options.logger[message.level](
        { worker: slot.worker.process.pid },
        `socket worker ${message.message}`,
      );
      return;
    }
    const key =
      message.type === 'ready'
        ? 'ready'
        : message.type === 'tlsSet'
          ? `tlsSet:${message.generation}`
          : `${message.type === 'listenError' ? 'listening' : message.type}:${message.listenerId}`;
    const reply = slot.replies.get(key);
    slot.replies.delete(key);
    reply?.(message);
  }

  /** Sends `message` (if any) and resolves with the answer under `key`; rejects on timeout or exit. */
  #awaitReply(slot: Slot, key: string, timeoutMs: number, sendIt: () => void): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.replies.delete(key);
        reject(new Error(`socket worker did not answer (${key})`));
      }, timeoutMs);
      slot.replies.set(key, (answer) => {
        clearTimeout(timer);
        if (answer === undefined) reject(new Error('socket worker exited'));
        else resolve(answer);
      });
      sendIt();
    });
  }

  async #listenOn(slot: Slot, spec: WorkerListenerSpec): Promise<void> {
    const answer = await this.#awaitReply(slot, `listening:${spec.listenerId}`, REPLY_TIMEOUT_MS, () =>
      this.#send(slot, { type: 'listen', spec }),
    );
    if (answer.type !== 'listenError') return;
    const err = new Error(
      `cannot listen on ${spec.host}:${spec.port}: ${answer.message}`,
    ) as NodeJS.ErrnoException;
    if (answer.code !== undefined) err.code = answer.code;
    throw err;
  }

  async #closeListener(listenerId: number): Promise<void> {
    this.#listeners.delete(listenerId);
    const closing = this.#live().map((slot) =>
      this.#awaitReply(slot, `closed:${listenerId}`, REPLY_TIMEOUT_MS, () =>
        this.#send(slot, { type: 'close', listenerId }),
      ).catch(() => undefined),
    );
    await Promise.all(closing);
  }

  #send(slot: Slot, message: ToWorker): void {
    if (!slot.exited && slot.worker.isConnected()) slot.worker.send(message);
  }

  #exited(slot: Slot, code: number | null, signal: string | null): void {
    slot.exited = true;
    slot.link.close();
    for (const reply of [...slot.replies.values()]) reply(undefined);
    slot.replies.clear();
    const counts = this.options.counts;
    if (counts !== undefined && slot.ready) counts.socketWorkersRunning--;
    // While the pool starts, a worker that exits fails the start; later, any exit is replaced
    // (a replacement that fails to start included, with a longer delay each time).
    if (this.#closing || this.#slots[slot.index] !== slot) return;
    if (counts !== undefined) counts.socketWorkerExits++;
    const crashes = ++this.#crashes[slot.index]!;
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (crashes - 1));
    this.options.logger.error(
      { worker: slot.worker.process.pid, code, signal, restartInMs: delay },
      'socket worker exited; its connections are closed',
    );
    setTimeout(() => void this.#restart(slot.index), delay).unref();
  }

  async #restart(index: number): Promise<void> {
    if (this.#closing) return;
    try {
      await this.#fork(index);
      this.#crashes[index] = 0;
      this.options.logger.info({ worker: this.#slots[index]?.worker.process.pid }, 'socket worker restarted');
    } catch (err) {
      this.options.logger.error({ err }, 'socket worker restart failed');
      this.#slots[index]?.worker.process.kill('SIGKILL'); // its exit schedules the next try
    }
  }

  async #stopWorker(slot: Slot): Promise<void> {
    if (slot.exited) return;
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    if (slot.worker.isConnected()) this.#send(slot, { type: 'exit' });
    else slot.worker.process.kill('SIGKILL');
    const timer = setTimeout(() => slot.worker.process.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
