import { Worker } from 'node:worker_threads';
import type { CheckpointReply, CheckpointRequest } from './checkpoint-protocol.js';

type ReplyHandler = (reply: CheckpointReply) => void;

/**
 * Worker starts in a row without a word from it, after which background checkpoints stop (the
 * writers' own, at the limit, remain): a worker that cannot run is not restarted every tick.
 */
const MAX_SILENT_STARTS = 3;

/** The process's one checkpoint thread, started at the first checkpoint and unref'd. */
export class CheckpointThread {
  #worker: Worker | undefined;
  readonly #handlers = new Map<number, ReplyHandler>();
  #nextId = 1;
  #silentStarts = 0;

  register(handler: ReplyHandler): number {
    const id = this.#nextId++;
    this.#handlers.set(id, handler);
    return id;
  }

  unregister(id: number): void {
    this.#handlers.delete(id);
  }

  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Sends `request`; false when no worker can run. */
  post(request: CheckpointRequest): boolean {
    const worker = this.#start();
    worker?.postMessage(request);
    return worker !== undefined;
  }

  #start(): Worker | undefined {
    if (this.#worker !== undefined) return this.#worker;
    if (this.#silentStarts >= MAX_SILENT_STARTS) return undefined;
    this.#silentStarts++;
    let worker: Worker;
    try {
      // A small heap: the worker only runs pragmas (it would be restarted if it ran out).
      worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
        resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      });
    } catch {
      return undefined;
    }
    worker.on('message', (reply: CheckpointReply) => {
      this.#silentStarts = 0;
      this.#handlers.get(reply.watcher)?.(reply);
    });
    const gone = (message: string): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      // Requests in flight will never be answered: let each watcher try again later.
      for (const [watcher, handler] of this.#handlers) handler({ op: 'failed', watcher, message });
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`checkpoint worker exited (${code})`));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

/** Shared by every database of the process (see wal-checkpointer.ts). */
export const checkpointThread = new CheckpointThread();
