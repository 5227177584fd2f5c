import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterEnvelope, NodeId } from '../types.js';
import { InboxError } from './inbox-errors.js';
import { inboxKey, inboxPositionKey, STREAM_START } from './inbox-keys.js';
import { nextReadyOrAfter, openRedisConnection } from './redis-connection.js';
import { handOver, type InboxHandler, InboxReadLoop, readInboxBatch } from './redis-inbox-reader.js';
import { RedisInboxWriter } from './redis-inbox-writer.js';

export { InboxError, type InboxErrorCode } from './inbox-errors.js';
export type { InboxHandler } from './redis-inbox-reader.js';

export interface RedisNodeInboxOptions {
  readonly url: string;
  readonly nodeId: NodeId;
  /** Key prefix: `{prefix}:inbox:{node}`, `{prefix}:inbox-pos:{node}`. */
  readonly prefix?: string;
  /** Envelopes waiting to be appended; beyond, sends are dropped. */
  readonly maxPending?: number;
  /**
   * Approximate MAXLEN of each inbox stream, in entries: an entry holds what one node sent the
   * inbox in one append (one envelope at light traffic, hundreds under load, at most 4,096).
   */
  readonly maxStreamLength?: number;
  /** Stream entries per XREAD (so at most 4,096 times as many envelopes per handler call). */
  readonly readBatch?: number;
  readonly logger: Logger;
}

/**
 * - sent: envelopes Redis confirmed appending; received: envelopes handed to the handler (a
 *   re-read after a failure counts again); dropped: sends that will never be appended (overflow,
 *   refused by Redis, left at close); pending: waiting to be appended; appendErrors: failed
 *   appends (a pipeline that met a lost connection, an entry Redis refused).
 */
export interface InboxStats {
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
  readonly pending: number;
  readonly appendErrors: number;
}

const PING_TIMEOUT_MS = 2000;
const CLOSE_TIMEOUT_MS = 5000;
/** How long drain waits for a connection before rejecting (the caller retries). */
const CONNECT_WAIT_MS = 5000;

/** Deletes an inbox and its position if nothing was appended after `position` (atomic). */
const DELETE_IF_DRAINED = `
if #redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', 1) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

/**
 * This node's end of the traffic between nodes: one Redis Stream per node, to which every node
 * appends (`send`) and which only its owner reads (`start`), at least once and in order. Sends
 * never block the caller: they queue (bounded) and go to Redis in one pipeline per event-loop
 * turn, one stream entry per destination node; `flush` is the barrier for "appended".
 */
export class RedisNodeInbox {
  private readonly prefix: string;
  private readonly readBatch: number;
  private readonly writerRedis: Redis;
  private readonly writer: RedisInboxWriter;
  private reader: InboxReadLoop | undefined;
  private lastError: string | undefined;
  private closed = false;
  private drained = 0;

  constructor(private readonly options: RedisNodeInboxOptions) {
    this.prefix = options.prefix ?? 'devgate';
    // Reads are dominated by decoding the envelopes, not by entries per XREAD (32 to 512 read
    // alike): a small count bounds one handler call (64 MiB, 262,144 envelopes).
    this.readBatch = positive('readBatch', options.readBatch ?? 64);
    const maxPending = positive('maxPending', options.maxPending ?? 100_000);
    // Entries, not envelopes: 100,000 entries hold about the million envelopes 1,000,000 held
    // before batches once entries average 10 envelopes (under load they hold hundreds).
    const maxStreamLength = positive('maxStreamLength', options.maxStreamLength ?? 100_000);
    this.writerRedis = openRedisConnection(options.url, 'inbox-writer', options.logger);
    this.writerRedis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.writer = new RedisInboxWriter(this.writerRedis, {
      from: options.nodeId,
      keyOf: (to) => inboxKey(this.prefix, to),
      maxPending,
      maxStreamLength,
      logger: options.logger,
    });
  }

  get stats(): InboxStats {
    return {
      ...this.writer.counters,
      received: (this.reader?.received ?? 0) + this.drained,
      pending: this.writer.pending,
    };
  }

  /** Queues `envelope` for `to`'s inbox. Never throws; dropped (and counted) when full or closed. */
  send(to: NodeId, envelope: ClusterEnvelope): void {
    this.writer.send(to, envelope);
  }

  /**
   * Resolves once every send issued before the call is appended; waits through Redis outages.
   * Rejects (InboxError) if a send was dropped since the previous flush.
   */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Starts reading this node's inbox from its stored position (at once, or once Redis is up). */
  async start(handler: InboxHandler): Promise<void> {
    if (this.closed || this.reader !== undefined) throw new Error('inbox already started or closed');
    const { nodeId, logger } = this.options;
    this.reader = new InboxReadLoop(openRedisConnection(this.options.url, 'inbox-reader', logger), {
      streamKey: inboxKey(this.prefix, nodeId),
      positionKey: inboxPositionKey(this.prefix, nodeId),
      readBatch: this.readBatch,
      logger,
    });
    this.reader.start(handler);
  }

  /**
   * Hands `node`'s inbox, from its stored position to the end, to `handler`, then deletes it and
   * its position. For a survivor adopting a dead node. Returns the number of envelopes handed over.
   */
  async drain(node: NodeId, handler: InboxHandler): Promise<number> {
    if (node === this.options.nodeId) throw new Error('a node cannot drain its own inbox');
    const streamKey = inboxKey(this.prefix, node);
    const positionKey = inboxPositionKey(this.prefix, node);
    await this.connected(CONNECT_WAIT_MS);
    let position = (await this.writerRedis.get(positionKey)) ?? STREAM_START;
    let handled = 0;
    for (;;) {
      const batch = await readInboxBatch(
        this.writerRedis,
        streamKey,
        position,
        this.readBatch,
        this.options.logger,
      );
      if (batch === null) {
        // Something appended since the last read is read first: it is not deleted unseen.
        if ((await this.writerRedis.eval(DELETE_IF_DRAINED, 2, streamKey, positionKey, position)) === 1)
          break;
        continue;
      }
      await handOver(handler, batch, streamKey, this.options.logger);
      handled += batch.entries.length;
      this.drained += batch.entries.length;
      // Progress survives this node: another survivor resumes the drain where it stopped.
      await this.writerRedis.set(positionKey, batch.lastId);
      position = batch.lastId;
    }
    return handled;
  }

  /** Resolves when Redis answers; rejects with the reason within 2 s. */
  async ping(): Promise<void> {
    const deadline = Date.now() + PING_TIMEOUT_MS;
    await this.connected(PING_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.unreachable('no answer within 2 s')), deadline - Date.now());
    });
    try {
      await Promise.race([this.writerRedis.ping(), timeout]);
    } catch (error) {
      throw error instanceof InboxError ? error : this.unreachable((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits up to `ms` for the connection to be ready; rejects saying why it is not. */
  private async connected(ms: number): Promise<void> {
    if (this.writerRedis.status !== 'ready') await nextReadyOrAfter(this.writerRedis, ms);
    if (this.writerRedis.status !== 'ready') throw this.unreachable('not connected');
  }

  private unreachable(why: string): InboxError {
    const last = this.lastError === undefined ? '' : ` (last error: ${this.lastError})`;
    return new InboxError(
      'unreachable',
      `redis unreachable: ${why}, connection ${this.writerRedis.status}${last}`,
    );
  }

  /**
   * Stops reading this node's inbox (a graceful stop, before the broker closes its stores): a
   * batch in hand is not acknowledged, so what was not durably applied stays in the stream for
   * whoever reads it next. Sends go on until close.
   */
  stopReading(): void {
    this.reader?.stop();
  }

  /** Stops reading, waits up to 5 s for pending appends, and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader?.stop();
    await this.writer.close(CLOSE_TIMEOUT_MS);
    if (this.writerRedis.status === 'ready') await this.writerRedis.quit().catch(() => undefined);
    this.writerRedis.disconnect();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}
