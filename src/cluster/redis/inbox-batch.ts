/**
 * Several encoded envelopes (envelope-codec.ts) in one inbox stream entry, field `batch`:
 *
 *   [u8 format = 1] then, per envelope, in send order: [u32be length][envelope bytes]
 *
 * An entry costs Redis (and the client) about the same whether it holds one envelope or many, so
 * a node appends one entry per destination per pipeline, not one per envelope. Bounded so one
 * entry (and one read of a few entries) stays small.
 */
export const BATCH_FORMAT = 1;
/** Most envelopes in one entry. */
export const MAX_BATCH_ENVELOPES = 4096;
/** Most bytes in one entry; an envelope larger than this goes alone in its own entry. */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Bytes one envelope adds to a batch besides its own: its length prefix. */
export const BATCH_OVERHEAD_BYTES = 4;

/** `envelopes` framed as one batch; `bytes` is the sum of their lengths. */
export function encodeEnvelopeBatch(envelopes: readonly Buffer[], bytes: number): Buffer {
  const buf = Buffer.allocUnsafe(1 + envelopes.length * BATCH_OVERHEAD_BYTES + bytes);
  buf.writeUInt8(BATCH_FORMAT, 0);
  let offset = 1;
  for (const envelope of envelopes) {
    offset = buf.writeUInt32BE(envelope.length, offset);
    offset += envelope.copy(buf, offset);
  }
  return buf;
}

export interface SplitBatch {
  /** The envelopes' bytes (views into the entry, not copies), in order. */
  readonly envelopes: Buffer[];
  /** Why the framing stopped before the end: what follows the envelopes above is lost. */
  readonly error?: string;
}

/** The envelopes of a batch, up to where its framing breaks; an unknown format yields none. */
export function splitEnvelopeBatch(buf: Buffer): SplitBatch {
  if (buf.length < 1) return { envelopes: [], error: 'empty batch' };
  const format = buf.readUInt8(0);
  if (format !== BATCH_FORMAT) return { envelopes: [], error: `unknown batch format ${format}` };
  const envelopes: Buffer[] = [];
  let offset = 1;
  while (offset < buf.length) {
    if (offset + BATCH_OVERHEAD_BYTES > buf.length)
      return { envelopes, error: `length prefix truncated at byte ${offset}` };
    const end = offset + BATCH_OVERHEAD_BYTES + buf.readUInt32BE(offset);
    if (end > buf.length) return { envelopes, error: `envelope at byte ${offset} runs past the end` };
    envelopes.push(buf.subarray(offset + BATCH_OVERHEAD_BYTES, end));
    offset = end;
  }
  return { envelopes };
}
