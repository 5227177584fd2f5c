import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
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
const REPLY_TIMEOUT_MS = 5_000;
const EXIT_TIMEOUT_MS = 5_000;
/** A crashed worker is replaced after this delay, doubled per crash in a row (at most 30 s). */
const RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;

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

export interface PoolListenOptions extends Omit<WorkerListenerSpec, 'listenerId'> {
  readonly host: string;
  readonly port: number;
}

interface Slot {
  readonly index: number;
  readonly child: ChildProcess;
  readonly link: WorkerLink;
  /** `closed` answers awaited, by listener id. */
  readonly closing: Map<number, () => void>;
  ready: boolean;
  exited: boolean;
}

/**
 * Socket workers: child processes that own the TCP and TLS sockets of MQTT clients and relay
 * their bytes to this process, where the broker runs unchanged (decision 0006). A process may
 * hold only so many open files; with workers the broker holds one pipe per worker instead of
 * one socket per client, and TLS runs on the other cores. This process accepts each connection
 * and hands its socket to the worker with the fewest, so none outgrows its own limit.
 */
export class SocketWorkerPool {
  readonly #slots: (Slot | undefined)[];
  readonly #listeners = new Map<number, WorkerListenerSpec>();
  readonly #crashes: number[];
  #nextListenerId = 1;
  #closing = false;

  private constructor(private readonly options: SocketWorkerPoolOptions) {
    this.#slots = new Array<Slot | undefined>(options.workers).fill(undefined);
    this.#crashes = new Array<number>(options.workers).fill(0);
  }

  /** Forks the workers and waits until each is ready. */
  static async start(options: SocketWorkerPoolOptions): Promise<SocketWorkerPool> {
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
    return this.#live().flatMap((slot) => (slot.child.pid === undefined ? [] : [slot.child.pid]));
  }

  /** Binds `host:port` here; each accepted connection goes to a worker. */
  async listen(options: PoolListenOptions): Promise<Listener> {
    const { host, port, ...rest } = options;
    const listenerId = this.#nextListenerId++;
    const spec: WorkerListenerSpec = { ...rest, listenerId };
    this.#listeners.set(listenerId, spec);
    for (const slot of this.#live()) this.#send(slot, { type: 'listener', spec });
    // pauseOnConnect: not a byte is read here; the worker reads from the first one.
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) =>
      this.#handOver(socket, listenerId),
    );
    server.on('error', (err) => this.options.logger.error({ err }, 'socket worker listener error'));
    const bound = await listenOn(server, host, port).catch(async (err: unknown) => {
      this.#listeners.delete(listenerId);
      throw err;
    });
    const stop = closeOnce(server);
    return {
      port: bound,
      stopAccepting: () => void stop(),
      close: async () => {
        await Promise.all([stop(), this.#closeListener(listenerId)]);
      },
    };
  }

  /** A reloaded certificate: TLS listeners use it for new handshakes. */
  updateTls(tls: WorkerTlsMaterial): void {
    for (const [id, spec] of this.#listeners) {
      if (spec.transport === 'tls') this.#listeners.set(id, { ...spec, tls });
    }
    for (const slot of this.#live()) this.#send(slot, { type: 'tls', tls });
  }

  /** Stops every worker; their remaining connections close. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => (slot === undefined ? undefined : this.#stopWorker(slot))));
  }

  #live(): Slot[] {
    return this.#slots.filter((slot): slot is Slot => slot?.ready === true && !slot.exited);
  }

  /** The worker with the fewest connections (open or being handed over). */
  #handOver(socket: Socket, listenerId: number): void {
    let best: Slot | undefined;
    for (const slot of this.#live()) if (best === undefined || slot.link.load < best.link.load) best = slot;
    if (best === undefined || !best.child.connected) {
      socket.destroy(); // no worker (all restarting): the client retries
      return;
    }
    best.link.handedOver();
    const slot = best;
    // keepOpen false: this process's copy of the socket closes once the worker has it.
    slot.child.send({ type: 'socket', listenerId } satisfies ToWorker, socket, { keepOpen: false }, (err) => {
      if (err === null) return;
      slot.link.handOverEnded();
      socket.destroy();
    });
  }

  async #fork(index: number): Promise<void> {
    const child = fork(WORKER_SCRIPT, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      serialization: 'json',
    });
    const pipe = child.stdio[FRAME_PIPE_FD] as Duplex;
    const slot: Slot = {
      index,
      child,
      link: new WorkerLink(pipe, this.options.onConnection, this.options.logger),
      closing: new Map(),
      ready: false,
      exited: false,
    };
    this.#slots[index] = slot;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket worker did not start')), READY_TIMEOUT_MS);
      const onMessage = (message: FromWorker): void => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error('socket worker exited while starting'));
      });
    });
    child.on('message', (message: FromWorker) => {
      if (message.type === 'closed') slot.closing.get(message.listenerId)?.();
    });
    child.on('exit', (code, signal) => this.#exited(slot, code, signal));
    child.on('error', (err) => this.options.logger.warn({ err }, 'socket worker channel error'));
    await ready;
    for (const spec of this.#listeners.values()) this.#send(slot, { type: 'listener', spec });
    slot.ready = true;
    if (this.options.counts !== undefined) this.options.counts.socketWorkersRunning++;
  }

  async #closeListener(listenerId: number): Promise<void> {
    this.#listeners.delete(listenerId);
    await Promise.all(
      this.#live().map(
        (slot) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, REPLY_TIMEOUT_MS);
            slot.closing.set(listenerId, () => {
              clearTimeout(timer);
              slot.closing.delete(listenerId);
              resolve();
            });
            this.#send(slot, { type: 'close', listenerId });
          }),
      ),
    );
  }

  #send(slot: Slot, message: ToWorker): void {
    if (!slot.exited && slot.child.connected) slot.child.send(message);
  }

  #exited(slot: Slot, code: number | null, signal: string | null): void {
    slot.exited = true;
    slot.link.close();
    for (const answer of [...slot.closing.values()]) answer();
    const counts = this.options.counts;
    if (counts !== undefined && slot.ready) counts.socketWorkersRunning--;
    if (this.#closing || this.#slots[slot.index] !== slot || !slot.ready) return;
    if (counts !== undefined) counts.socketWorkerExits++;
    const crashes = ++this.#crashes[slot.index]!;
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (crashes - 1));
    this.options.logger.error(
      { worker: slot.child.pid, code, signal, restartInMs: delay },
      'socket worker exited; its connections are closed',
    );
    setTimeout(() => void this.#restart(slot.index), delay).unref();
  }

  async #restart(index: number): Promise<void> {
    if (this.#closing) return;
    try {
      await this.#fork(index);
      this.#crashes[index] = 0;
      this.options.logger.info({ worker: this.#slots[index]?.child.pid }, 'socket worker restarted');
    } catch (err) {
      this.options.logger.error({ err }, 'socket worker restart failed');
    }
  }

  async #stopWorker(slot: Slot): Promise<void> {
    if (slot.exited) return;
    const exited = new Promise<void>((resolve) => slot.child.once('exit', () => resolve()));
    slot.child.kill('SIGTERM');
    const timer = setTimeout(() => slot.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
