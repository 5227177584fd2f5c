import type { NodeId } from '../types.js';

/** The stream a node reads: every other node appends to it. */
export function inboxKey(prefix: string, node: NodeId): string {
  return `${prefix}:inbox:${node}`;
}

/** The id of the last entry of `node`'s inbox whose batch was handled. */
export function inboxPositionKey(prefix: string, node: NodeId): string {
  return `${prefix}:inbox-pos:${node}`;
}

/**
 * Field names of one stream entry: the sender's node id, and either one encoded envelope
 * (`envelope`: the only form before batches, still written for an entry of one) or several
 * (`batch`, inbox-batch.ts).
 */
export const FROM_FIELD = 'from';
export const ENVELOPE_FIELD = 'envelope';
export const BATCH_FIELD = 'batch';

/** The position before the first entry of any stream. */
export const STREAM_START = '0-0';
