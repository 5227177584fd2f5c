import Denque from 'denque';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { encodeEnvelope } from '../envelope-codec.js';
import type { ClusterEnvelope, NodeId } from '../types.js';
import { InboxError } from './inbox-errors.js';
import { ENVELOPE_FIELD, FROM_FIELD } from './inbox-keys.js';
import { isReplyError, nextReadyOrAfter, retryDelayMs } from './redis-connection.js';

/** At most this many XADDs per pipeline: bounds one write and one reply. */
const MAX_PIPELINE_ENTRIES = 4096;

interface PendingAppend {
  readonly key: string;
  readonly data: Buffer;
  readonly seq: number;
}

interface FlushWaiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface InboxWriterOptions {
  readonly from: NodeId;
  readonly keyOf: (to: NodeId) => string;
  readonly maxPending: number;
  readonly maxStreamLength: number;
  readonly logger: Logger;
}

/**
 * The sending half of the inbox: a bounded FIFO of encoded envelopes, appended in order with one
 * pipeline at a time (what was sent during one event-loop turn, or while the previous pipeline
 * was in flight, goes in the next one). Entries leave the FIFO only once Redis confirmed them,
 * so a lost connection retries them, in order, when it comes back.
 */
export class RedisInboxWriter {
  readonly counters = { sent: 0, dropped: 0, appendErrors: 0 };
  private readonly queue = new Denque<PendingAppend>();
  private readonly waiters = new Denque<FlushWaiter>();
  /** Sequence of the last accepted send; every entry up to `doneSeq` is appended or given up. */
  private lastSeq = 0;
  private doneSeq = 0;
  private busy = false;
  private failures = 0;
  /** A loss (overflow, refusal) that no flush has reported yet: the next flush rejects with it. */
  private unreportedLoss: InboxError | undefined;
  private droppedThisOverflow = 0;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: InboxWriterOptions,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  send(to: NodeId, envelope: ClusterEnvelope): void {
    if (this.closing) {
      this.drop(new InboxError('closed', 'send after close'));
    } else if (this.queue.length >= this.options.maxPending) {
      this.overflow();
    } else {
      const data = this.encode(to, envelope);
      if (data === undefined) return;
      this.queue.push({ key: this.options.keyOf(to), data, seq: ++this.lastSeq });
      this.schedule();
    }
  }

  private encode(to: NodeId, envelope: ClusterEnvelope): Buffer | undefined {
    try {
      return encodeEnvelope(envelope);
    } catch (error) {
      this.options.logger.error({ err: error, to }, 'cluster inbox: envelope could not be encoded; dropped');
      this.drop(new InboxError('refused', 'envelope could not be encoded', { cause: error }));
      return undefined;
    }
  }

  flush(): Promise<void> {
    const loss = this.takeLoss();
    if (loss !== undefined) return Promise.reject(loss);
    if (this.doneSeq >= this.lastSeq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq: this.lastSeq, resolve, reject }));
  }

  /** Stops accepting sends, waits up to `ms` for the pending ones; the rest are dropped. */
  async close(ms: number): Promise<void> {
    this.closing = true;
    const flushed = this.doneSeq >= this.lastSeq ? Promise.resolve() : this.flushIgnoringLoss();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([flushed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    const lost = this.queue.length;
    if (lost === 0) return;
    this.options.logger.warn({ lost }, 'cluster inbox: closed with sends not yet appended; dropped');
    this.counters.dropped += lost;
    this.queue.clear();
    this.doneSeq = this.lastSeq;
    const error = new InboxError('closed', `inbox closed with ${lost} sends not appended`);
    for (let waiter = this.waiters.shift(); waiter !== undefined; waiter = this.waiters.shift()) {
      waiter.reject(error);
    }
  }

  private flushIgnoringLoss(): Promise<void> {
    return new Promise((resolve) =>
      this.waiters.push({ seq: this.lastSeq, resolve, reject: () => resolve() }),
    );
  }

  private overflow(): void {
    if (this.droppedThisOverflow === 0) {
      this.options.logger.warn(
        { maxPending: this.options.maxPending },
        'cluster inbox: sends dropped, too many waiting to be appended',
      );
    }
    this.droppedThisOverflow++;
    this.drop(
      new InboxError('overflow', `cluster sends dropped: more than ${this.options.maxPending} pending`),
    );
  }

  private drop(loss: InboxError): void {
    this.counters.dropped++;
    this.unreportedLoss ??= loss;
  }

  private takeLoss(): InboxError | undefined {
    const loss = this.unreportedLoss;
    this.unreportedLoss = undefined;
    return loss;
  }

  /** One pipeline per turn: sends of the same turn join it; none while one is in flight. */
  private schedule(): void {
    if (this.busy) return;
    this.busy = true;
    setImmediate(() => {
      this.appendBatch().catch((error: unknown) => {
        // Not expected (every step handles its failures); the queue must not stall if it happens.
        this.options.logger.error({ err: error }, 'cluster inbox: append failed unexpectedly');
        this.busy = false;
        setTimeout(() => this.schedule(), 1000).unref();
      });
    });
  }

  private async appendBatch(): Promise<void> {
    if (this.redis.status !== 'ready') return this.waitForRedis();
    const count = Math.min(this.queue.length, MAX_PIPELINE_ENTRIES);
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < count; i++) {
      const entry = this.queue.peekAt(i) as PendingAppend;
      pipeline.xadd(
        entry.key,
        'MAXLEN',
        '~',
        this.options.maxStreamLength,
        '*',
        FROM_FIELD,
        this.options.from,
        ENVELOPE_FIELD,
        entry.data,
      );
    }
    let results: [Error | null, unknown][] | null = null;
    let failure: unknown;
    try {
      results = await pipeline.exec();
    } catch (error) {
      failure = error;
    }
    const lost = this.settle(count, results, failure);
    this.resolveWaiters();
    this.busy = false;
    if (lost !== undefined) await this.retryLater(lost);
    else if (this.queue.length > 0) this.schedule();
  }

  /** Removes the confirmed (or refused) head of the queue; returns the connection error, if any. */
  private settle(count: number, results: [Error | null, unknown][] | null, failure: unknown): unknown {
    for (let i = 0; i < count; i++) {
      const reply = results?.[i];
      const error = reply === undefined ? toError(failure ?? 'no reply') : reply[0];
      if (error !== null && !isReplyError(error)) return error;
      const entry = this.queue.shift();
      if (entry === undefined) return undefined; // close gave the queue up meanwhile
      this.doneSeq = entry.seq;
      if (error === null) {
        this.counters.sent++;
        continue;
      }
      // Retrying what Redis refused (wrong type, out of memory) would stall every later entry.
      this.counters.appendErrors++;
      this.options.logger.error(
        { err: error.message, key: entry.key },
        'cluster inbox: redis refused an envelope; dropped',
      );
      this.drop(new InboxError('refused', `redis refused an append: ${error.message}`));
    }
    this.failures = 0;
    if (this.droppedThisOverflow > 0 && this.queue.length < this.options.maxPending) {
      this.options.logger.warn({ dropped: this.droppedThisOverflow }, 'cluster inbox: accepting sends again');
      this.droppedThisOverflow = 0;
    }
    return undefined;
  }

  private resolveWaiters(): void {
    for (let waiter = this.waiters.peekFront(); waiter !== undefined && waiter.seq <= this.doneSeq; ) {
      this.waiters.shift();
      const loss = this.takeLoss();
      if (loss === undefined) waiter.resolve();
      else waiter.reject(loss);
      waiter = this.waiters.peekFront();
    }
  }

  /** Not connected (yet): nothing is attempted until the connection is ready or ends. */
  private async waitForRedis(): Promise<void> {
    if (this.closing && this.redis.status === 'end') return;
    await nextReadyOrAfter(this.redis, 2000);
    this.busy = false;
    if (this.queue.length > 0) this.schedule();
  }

  /** Redis is away: the queue stays as it is and is retried on reconnect or after a back-off. */
  private async retryLater(error: unknown): Promise<void> {
    this.counters.appendErrors++;
    this.failures++;
    if (this.failures === 1) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger.warn(
        { err: reason, pending: this.queue.length },
        'cluster inbox: sends waiting for redis',
      );
    }
    if (this.closing && this.redis.status === 'end') return;
    this.busy = true;
    await nextReadyOrAfter(this.redis, retryDelayMs(this.failures));
    this.busy = false;
    if (this.queue.length > 0) this.schedule();
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
