import Denque from 'denque';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { encodeEnvelope } from '../envelope-codec.js';
import type { ClusterEnvelope, NodeId } from '../types.js';
import { type AppendPlan, type PendingAppend, planAppend } from './inbox-append-plan.js';
import { encodeEnvelopeBatch } from './inbox-batch.js';
import { InboxError } from './inbox-errors.js';
import { BATCH_FIELD, ENVELOPE_FIELD, FROM_FIELD } from './inbox-keys.js';
import { isReplyError, nextReadyOrAfter, retryDelayMs } from './redis-connection.js';

/** What became of one planned entry: appended (null), refused by Redis, or met a lost connection. */
type GroupOutcome = null | InboxError | ConnectionLost;

class ConnectionLost {
  constructor(readonly error: unknown) {}
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
 * was in flight, goes in the next one), as one stream entry per destination node (a batch,
 * inbox-batch.ts; several when it is full). Envelopes leave the FIFO only once Redis confirmed
 * their entry, so a lost connection retries them, in order, when it comes back.
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
    const plan = planAppend(this.queue);
    const pipeline = this.redis.pipeline();
    for (const group of plan.groups) {
      // An entry of one keeps the one-envelope form: any node version reads it.
      const [field, value] =
        group.envelopes.length === 1
          ? [ENVELOPE_FIELD, group.envelopes[0] as Buffer]
          : [BATCH_FIELD, encodeEnvelopeBatch(group.envelopes, group.bytes)];
      pipeline.xadd(
        group.key,
        'MAXLEN',
        '~',
        this.options.maxStreamLength,
        '*',
        FROM_FIELD,
        this.options.from,
        field,
        value,
      );
    }
    let results: [Error | null, unknown][] | null = null;
    let failure: unknown;
    try {
      results = await pipeline.exec();
    } catch (error) {
      failure = error;
    }
    const lost = this.settle(plan, outcomesOf(plan, results, failure));
    this.resolveWaiters();
    this.busy = false;
    if (lost !== undefined) await this.retryLater(lost);
    else if (this.queue.length > 0) this.schedule();
  }

  /**
   * Removes the planned envelopes from the FIFO but those whose entry met a lost connection,
   * which stay at its head, in order; returns the connection error, if any.
   */
  private settle(plan: AppendPlan, outcomes: GroupOutcome[]): unknown {
    if (this.queue.peekFront() !== plan.first) return undefined; // close gave the queue up meanwhile
    const retry: PendingAppend[] = [];
    for (let i = 0; i < plan.taken; i++) {
      const entry = this.queue.shift() as PendingAppend;
      const outcome = outcomes[plan.groupOf[i] as number];
      if (outcome === null) this.counters.sent++;
      else if (outcome instanceof InboxError) this.drop(outcome);
      else retry.push(entry);
    }
    for (let i = retry.length - 1; i >= 0; i--) this.queue.unshift(retry[i] as PendingAppend);
    this.doneSeq = (this.queue.peekFront()?.seq ?? this.lastSeq + 1) - 1;
    plan.groups.forEach((group, index) => {
      if (!(outcomes[index] instanceof InboxError)) return;
      // Retrying what Redis refused (wrong type, out of memory) would stall every later entry.
      this.counters.appendErrors++;
      this.options.logger.error(
        { err: (outcomes[index] as InboxError).message, key: group.key, envelopes: group.envelopes.length },
        'cluster inbox: redis refused an envelope; dropped',
      );
    });
    const lost = outcomes.find((outcome) => outcome instanceof ConnectionLost);
    if (lost !== undefined) return (lost as ConnectionLost).error;
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

/**
 * Replies come in order: from the first entry that met a lost connection on, none counts as
 * appended (a retry may then append one twice, never out of order).
 */
function outcomesOf(
  plan: AppendPlan,
  results: [Error | null, unknown][] | null,
  failure: unknown,
): GroupOutcome[] {
  let lost: ConnectionLost | undefined;
  return plan.groups.map((_, index) => {
    const reply = results?.[index];
    const error = reply === undefined ? toError(failure ?? 'no reply') : reply[0];
    if (lost === undefined && error !== null && !isReplyError(error)) lost = new ConnectionLost(error);
    if (lost !== undefined) return lost;
    return error === null ? null : new InboxError('refused', `redis refused an append: ${error.message}`);
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
