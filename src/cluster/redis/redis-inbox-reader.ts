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
}

type XreadReply = [key: Buffer, items: [id: Buffer, fields: Buffer[]][]][] | null;

/**
 * Up to `count` stream entries after `after` (blocking up to `blockMs` when given), their
 * envelopes flattened in order; null when none.
 */
export async function readInboxBatch(
  redis: Redis,
  key: string,
  after: string,
  count: number,
  logger: Logger,
  blockMs?: number,
): Promise<ReadBatch | null> {
  const reply: XreadReply =
    blockMs === undefined
      ? await redis.xreadBuffer('COUNT', count, 'STREAMS', key, after)
      : await redis.xreadBuffer('COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, after);
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
  return { entries, lastId: (items[items.length - 1] as [Buffer, Buffer[]])[0].toString() };
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

/**
 * Reads one inbox on its own (blocking) connection: loads the stored position, reads a batch,
 * hands it over, and only then stores the new position and trims what was consumed. After any
 * failure the position is loaded again from Redis, which may have lost everything (then the
 * new, empty stream is read from its start).
 */
export class InboxReadLoop {
  /** Envelopes handed to the handler. */
  received = 0;
  private stopped = false;

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
    const { streamKey, positionKey, readBatch, logger } = this.options;
    let position: string | undefined;
    let failures = 0;
    while (!this.stopped) {
      if (this.redis.status !== 'ready') {
        await nextReadyOrAfter(this.redis, BLOCK_MS);
        continue;
      }
      try {
        position ??= (await this.redis.get(positionKey)) ?? STREAM_START;
        const batch = await readInboxBatch(this.redis, streamKey, position, readBatch, logger, BLOCK_MS);
        if (batch === null || this.stopped) continue;
        this.received += batch.entries.length;
        await handOver(handler, batch, streamKey, logger);
        if (this.stopped) break; // not acknowledged: read again after a restart
        await acknowledge(this.redis, streamKey, positionKey, batch.lastId);
        position = batch.lastId;
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        position = undefined;
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
}

/** Stores the position and trims the entries up to it (approximately: whole stream nodes). */
async function acknowledge(
  redis: Redis,
  streamKey: string,
  positionKey: string,
  lastId: string,
): Promise<void> {
  const results = await redis
    .pipeline()
    .set(positionKey, lastId)
    .xtrim(streamKey, 'MINID', '~', lastId)
    .exec();
  const failed = results?.find(([error]) => error !== null)?.[0];
  if (results === null || failed !== undefined) throw failed ?? new Error('no reply to the acknowledgement');
}
