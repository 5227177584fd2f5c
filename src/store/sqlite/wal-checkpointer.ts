import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CheckpointReply } from './checkpoint-protocol.js';
import { checkpointThread } from './checkpoint-thread.js';

/**
 * WAL checkpoints off the request path. SQLite's default auto-checkpoint runs inside the commit
 * that crosses 1,000 WAL pages: that commit copies the pages back and makes two fsyncs on the
 * thread that serves requests (2–30 ms here, several times a second under load). Instead a worker
 * thread with its own connection checkpoints PASSIVE every `intervalMs`: it never takes the writer
 * lock, and the writer restarts the WAL at its next commit once everything is copied back.
 *
 * Under writes that never pause, a background checkpoint can never catch up with the last commit,
 * so the WAL cannot restart by itself: the writer keeps SQLite's auto-checkpoint as the bound,
 * at `walLimitPages`. That one only copies what the worker has not, but pays the two fsyncs.
 */
export interface CheckpointPolicy {
  /** How often the background connection checkpoints. */
  readonly intervalMs: number;
  /** WAL size (pages) at which the writing connection checkpoints itself: the bound on the WAL. */
  readonly walLimitPages: number;
}

/**
 * 64 MiB of WAL at 4 KiB pages before the writer checkpoints itself: under 1,000 single-value
 * writes/s (~5 pages each) that is once every ~3 s, each time two fsyncs on the writer's thread.
 */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { intervalMs: 100, walLimitPages: 16_384 };

export interface CheckpointStats {
  /** Background checkpoints completed. */
  checkpoints: number;
  failures: number;
  /** WAL frames seen by the last background checkpoint, and the most seen. */
  lastLogPages: number;
  maxLogPages: number;
  /** Duration of the last background checkpoint, ms (off the writer's thread). */
  lastMs: number;
}

/** How long `close()` waits for the worker to let go of the file. */
const RELEASE_TIMEOUT_MS = 5000;

const thread = checkpointThread;
const checkpointers = new WeakMap<Database, WalCheckpointer>();

/** One database handle's background checkpoints. */
export class WalCheckpointer {
  readonly stats: CheckpointStats = {
    checkpoints: 0,
    failures: 0,
    lastLogPages: 0,
    maxLogPages: 0,
    lastMs: 0,
  };
  readonly #file: string;
  readonly #logger: Logger | undefined;
  readonly #watcher: number;
  readonly #timer: NodeJS.Timeout;
  readonly #limitPages: number;
  #inFlight = false;
  /** The WAL was at the limit: one tick is left to the writer's own checkpoint (no lock clash). */
  #yieldNext = false;
  #used = false;
  #failing = false;
  /** Checkpoints asked for so far (one in flight at a time, so a reply answers the latest). */
  #posted = 0;
  #waiters: Array<{ readonly after: number; readonly wake: () => void }> = [];
  #closed = false;

  constructor(file: string, policy: CheckpointPolicy, logger?: Logger) {
    this.#file = file;
    this.#logger = logger;
    this.#limitPages = policy.walLimitPages;
    this.#watcher = thread.register((reply) => this.#onReply(reply));
    this.#timer = setInterval(() => this.#tick(), Math.max(1, policy.intervalMs));
    this.#timer.unref();
  }

  #tick(): void {
    // One at a time: a slow disk makes checkpoints rarer, never piled up.
    if (this.#inFlight) return;
    if (this.#yieldNext) {
      this.#yieldNext = false;
      return;
    }
    this.#inFlight = true;
    this.#used = true;
    this.#posted++;
    if (!thread.post({ op: 'checkpoint', watcher: this.#watcher, file: this.#file }))
      this.#onReply({ op: 'failed', watcher: this.#watcher, message: 'no checkpoint worker' });
  }

  /**
   * Resolves once a background checkpoint that started after this call has finished (or failed),
   * so it saw every commit made before the call; at once after close().
   */
  whenCheckpointed(): Promise<CheckpointStats> {
    if (this.#closed) return Promise.resolve(this.stats);
    // Someone waits: the timer keeps the process alive until the answer (the worker is unref'd).
    this.#timer.ref();
    return new Promise((resolve) =>
      this.#waiters.push({ after: this.#posted, wake: () => resolve(this.stats) }),
    );
  }

  #onReply(reply: CheckpointReply): void {
    this.#inFlight = false;
    this.#record(reply);
    this.#wake((w) => w.after < this.#posted);
  }

  #wake(due: (waiter: { readonly after: number }) => boolean): void {
    const ready = this.#waiters.filter(due);
    this.#waiters = this.#waiters.filter((w) => !due(w));
    if (this.#waiters.length === 0) this.#timer.unref();
    for (const w of ready) w.wake();
  }

  #record(reply: CheckpointReply): void {
    if (reply.op === 'failed') {
      this.stats.failures++;
      if (!this.#failing)
        this.#logger?.warn({ file: this.#file, err: reply.message }, 'WAL checkpoint failed');
      this.#failing = true;
      return;
    }
    this.#failing = false;
    this.stats.checkpoints++;
    this.stats.lastLogPages = reply.logPages;
    this.stats.maxLogPages = Math.max(this.stats.maxLogPages, reply.logPages);
    this.stats.lastMs = reply.ms;
    // The writer checkpoints itself at its next commit; a background one then would make it BUSY.
    this.#yieldNext = reply.logPages >= this.#limitPages;
  }

  /**
   * Stops the checkpoints and waits until the worker has closed its connection, so the caller's
   * close is the last one (SQLite then checkpoints and removes the WAL, as without a worker).
   */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    thread.unregister(this.#watcher);
    this.#wake(() => true);
    if (!this.#used || !thread.running) return;
    const done = new Int32Array(new SharedArrayBuffer(4));
    thread.post({ op: 'release', watcher: this.#watcher, file: this.#file, done });
    Atomics.wait(done, 0, 0, RELEASE_TIMEOUT_MS);
  }
}

/**
 * Moves `db`'s checkpoints to the worker thread (see CheckpointPolicy). `db.close()` stops them
 * first. The handle must be a file database in WAL mode.
 */
export function attachCheckpointer(
  db: Database,
  file: string,
  policy: CheckpointPolicy,
  logger?: Logger,
): WalCheckpointer {
  const limit = Math.max(1, Math.trunc(policy.walLimitPages));
  db.pragma(`wal_autocheckpoint = ${limit}`);
  // The file too: a WAL that grew past the limit (a long reader held it) shrinks back when reset.
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`journal_size_limit = ${limit * (pageSize + 24) + 32}`);
  const checkpointer = new WalCheckpointer(resolve(file), policy, logger);
  const close = db.close.bind(db);
  db.close = () => {
    checkpointer.close();
    return close();
  };
  checkpointers.set(db, checkpointer);
  return checkpointer;
}

/** The background checkpointer of a handle opened by `openDatabase`, if it has one. */
export function checkpointerOf(db: Database): WalCheckpointer | undefined {
  return checkpointers.get(db);
}
