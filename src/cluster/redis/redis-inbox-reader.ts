import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeEnvelope } from '../envelope-codec.js';
import type { InboxEntry } from '../types.js';
import { splitEnvelopeBatch } from './inbox-batch.js';
import { BATCH_FIELD, ENVELOPE_FIELD, FROM_FIELD, STREAM_START } from './inbox-keys.js';
import { nextReadyOrAfter, retryDelayMs } from './redis-connection.js';

/** Receives the envelopes of an inbox, those of a few stream entries at a time, in stream order. */
export type InboxHandler = (batch: readonly InboxEntry[]) => Promise<void> | void;

/** How long one blocking XREAD waits: also how soon a silently dead connection is noticed. */
const BLOCK_MS = 5000;

interface ReadBatch {
  readonly entries: InboxEntry[];
  /** Id of the last stream entry read, garbled ones included: where the next read starts. */
  readonly lastId: string;
  /** Stream entries read (each one envelope or a batch of them). */
  readonly streamEntries: number;
}

type XreadReply = [key: Buffer, items: [id: Buffer, fields: Buffer[]][]][] | null;

/** Up to `count` stream entries after `after`, without waiting, their envelopes flattened in order; null when none. */
export async function readInboxBatch(
  redis: Redis,
  key: string,
  after: string,
  count: number,
  logger: Logger,
): Promise<ReadBatch | null> {
  const reply: XreadReply = await redis.xreadBuffer('COUNT', count, 'STREAMS', key, after);
  return batchOf(reply, key, logger);
}

/** The envelopes of an XREAD reply, flattened in order; null when it holds no entry. */
function batchOf(reply: XreadReply, key: string, logger: Logger): ReadBatch | null {
  const items = reply?.[0]?.[1];
  if (items === undefined || items.length === 0) return null;
  const entries: InboxEntry[] = [];
  for (const [id, fields] of items) {
    const error = parseEntry(fields, entries, (index, why) =>
      logger.warn({ key, id: id.toString(), index, err: why }, 'cluster inbox: garbled envelope skipped'),
    );
    if (error !== undefined)
      logger.warn({ key, id: id.toString(), err: error }, 'cluster inbox: garbled entry skipped');
  }
  return {
    entries,
    lastId: (items[items.length - 1] as [Buffer, Buffer[]])[0].toString(),
    streamEntries: items.length,
  };
}

/**
 * Appends the envelopes of one stream entry to `into`. A garbled envelope of a batch is reported
 * to `skipped` and the others kept; returns why the entry as a whole is garbled, if it is.
 */
function parseEntry(
  fields: readonly Buffer[],
  into: InboxEntry[],
  skipped: (index: number, why: string) => void,
): string | undefined {
  let from: string | undefined;
  let envelope: Buffer | undefined;
  let batch: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as Buffer).toString();
    if (name === FROM_FIELD) from = (fields[i + 1] as Buffer).toString();
    else if (name === ENVELOPE_FIELD) envelope = fields[i + 1];
    else if (name === BATCH_FIELD) batch = fields[i + 1];
  }
  if (from === undefined || (envelope === undefined && batch === undefined))
    return 'entry lacks its from or envelope field';
  if (envelope !== undefined) {
    try {
      into.push({ from, envelope: decodeEnvelope(envelope) });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
  const split = splitEnvelopeBatch(batch as Buffer);
  if (split.envelopes.length === 0) return split.error ?? 'empty batch';
  split.envelopes.forEach((bytes, index) => {
    try {
      into.push({ from, envelope: decodeEnvelope(bytes) });
    } catch (error) {
      skipped(index, (error as Error).message);
    }
  });
  if (split.error !== undefined) skipped(split.envelopes.length, `rest of the batch lost: ${split.error}`);
  return undefined;
}

/** Runs the handler on one batch; a handler that throws is logged and its batch counts as handled. */
export async function handOver(
  handler: InboxHandler,
  batch: ReadBatch,
  key: string,
  logger: Logger,
): Promise<void> {
  if (batch.entries.length === 0) return;
  try {
    await handler(batch.entries);
  } catch (error) {
    // Skipped, not retried: an entry that always fails must not block the inbox forever.
    logger.error(
      { err: error, key, entries: batch.entries.length, lastId: batch.lastId },
      'cluster inbox: handler failed; batch skipped',
    );
  }
}

export interface InboxReadLoopOptions {
  readonly streamKey: string;
  readonly positionKey: string;
  /** Stream entries per XREAD (each one envelope or a batch of them). */
  readonly readBatch: number;
  readonly logger: Logger;
}

/** Stream entries consumed between two trims of the stream (Redis trims whole nodes of 100). */
const TRIM_EVERY_ENTRIES = 256;
/** A consumed entry stays in the stream at most about this long after its acknowledgement. */
const TRIM_EVERY_MS = 1000;

/**
 * Reads one inbox on its own (blocking) connection: loads the stored position, reads a batch,
 * hands it over, and only then stores the new position. The position goes out in the same
 * round trip as the next read (SET, then the blocking XREAD, in one pipeline): Redis stores it
 * before it blocks, and a batch costs one round trip instead of two. What was consumed is trimmed
 * every few hundred entries or each second, not per batch. After any failure the position is
 * loaded again from Redis, which may have lost everything (then the new, empty stream is read
 * from its start).
 */
export class InboxReadLoop {
  /** Envelopes handed to the handler. */
  received = 0;
  private stopped = false;
  /** Stream entries acknowledged since the last trim, and when that trim was. */
  private untrimmed = 0;
  private trimmedAt = Date.now();

  constructor(
    private readonly redis: Redis,
    private readonly options: InboxReadLoopOptions,
  ) {}

  start(handler: InboxHandler): void {
    this.run(handler).catch((error: unknown) => {
      this.options.logger.error(
        { err: error, key: this.options.streamKey },
        'cluster inbox: reader stopped unexpectedly',
      );
    });
  }

  /** Stops reading; a batch whose handler has not resolved yet is not acknowledged. */
  stop(): void {
    this.stopped = true;
    this.redis.disconnect();
  }

  private async run(handler: InboxHandler): Promise<void> {
    const { streamKey, positionKey, logger } = this.options;
    /** Where the next read starts; undefined until loaded from Redis (again after a failure). */
    let position: string | undefined;
    /** The position to store with the next read: a batch handled but not yet acknowledged. */
    let handled: string | undefined;
    let failures = 0;
    while (!this.stopped) {
      if (this.redis.status !== 'ready') {
        await nextReadyOrAfter(this.redis, BLOCK_MS);
        continue;
      }
      try {
        position ??= (await this.redis.get(positionKey)) ?? STREAM_START;
        const batch = await this.acknowledgeAndRead(handled, position);
        handled = undefined;
        failures = 0;
        if (batch === null || this.stopped) continue;
        this.received += batch.entries.length;
        await handOver(handler, batch, streamKey, logger);
        if (this.stopped) break; // not acknowledged: read again after a restart
        position = batch.lastId;
        handled = batch.lastId;
        this.untrimmed += batch.streamEntries;
      } catch (error) {
        if (this.stopped) break;
        // A position that did not reach Redis is not retried: the batch is read (and handled) again.
        position = undefined;
        handled = undefined;
        failures++;
        if (failures === 1)
          logger.warn(
            { err: (error as Error).message, key: streamKey },
            'cluster inbox: read failed; retrying',
          );
        await nextReadyOrAfter(this.redis, retryDelayMs(failures));
      }
    }
  }

  /**
   * Stores `handled` as the position (trimming what it passed when one is due), then reads the
   * next batch after `position`, blocking, in one round trip. Throws if any of them failed.
   */
  private async acknowledgeAndRead(handled: string | undefined, position: string): Promise<ReadBatch | null> {
    const { streamKey, positionKey, readBatch, logger } = this.options;
    const pipeline = this.redis.pipeline();
    if (handled !== undefined) {
      pipeline.set(positionKey, handled);
      if (this.untrimmed >= TRIM_EVERY_ENTRIES || Date.now() - this.trimmedAt >= TRIM_EVERY_MS) {
        pipeline.xtrim(streamKey, 'MINID', '~', handled);
        this.untrimmed = 0;
        this.trimmedAt = Date.now();
      }
    }
    pipeline.xreadBuffer('COUNT', readBatch, 'BLOCK', BLOCK_MS, 'STREAMS', streamKey, position);
    const results = await pipeline.exec();
    if (results === null) throw new Error('no reply to the read');
    const failed = results.find(([error]) => error !== null)?.[0];
    if (failed !== undefined && failed !== null) throw failed;
    return batchOf((results[results.length - 1] as [null, XreadReply])[1], streamKey, logger);
  }
}
