/** Bytes that are not an envelope of a known format: garbled, truncated or from elsewhere. */
export class EnvelopeDecodeError extends Error {
  readonly code = 'CLUSTER_ENVELOPE_MALFORMED';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvelopeDecodeError';
  }
}

/** The first scratch size: a header with a topic and a session key fits many times over. */
const INITIAL_SCRATCH_BYTES = 4096;

/**
 * Writes an envelope's fields into a scratch buffer that grows as needed and is reused from one
 * envelope to the next (one process encodes on one thread); `finish` copies them out with the
 * raw tails (correlation data, payload) in one allocation.
 */
export class ByteWriter {
  #buf = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);
  #offset = 0;

  reset(): this {
    this.#offset = 0;
    return this;
  }

  u8(value: number): this {
    this.#room(1);
    this.#offset = this.#buf.writeUInt8(value, this.#offset);
    return this;
  }

  u32(value: number): this {
    this.#room(4);
    this.#offset = this.#buf.writeUInt32BE(value, this.#offset);
    return this;
  }

  f64(value: number): this {
    this.#room(8);
    this.#offset = this.#buf.writeDoubleBE(value, this.#offset);
    return this;
  }

  /** A string as [u32be byte length][UTF-8]. */
  str(value: string): this {
    // At most 3 bytes per UTF-16 unit; exact length only for long strings.
    const most = value.length * 3;
    const bytes = most <= 1024 ? most : Buffer.byteLength(value);
    this.#room(4 + bytes);
    const written = this.#buf.write(value, this.#offset + 4, 'utf8');
    this.#buf.writeUInt32BE(written, this.#offset);
    this.#offset += 4 + written;
    return this;
  }

  /** Bytes as [u32be length][bytes]. */
  bytes(value: Buffer): this {
    this.u32(value.length);
    this.#room(value.length);
    this.#offset += value.copy(this.#buf, this.#offset);
    return this;
  }

  /** A new buffer: what was written, then `tail` raw (not length-prefixed: it runs to the end). */
  finish(tail?: Buffer): Buffer {
    const out = Buffer.allocUnsafe(this.#offset + (tail?.length ?? 0));
    this.#buf.copy(out, 0, 0, this.#offset);
    tail?.copy(out, this.#offset);
    return out;
  }

  #room(bytes: number): void {
    const needed = this.#offset + bytes;
    if (needed <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
    this.#buf.copy(grown, 0, 0, this.#offset);
    this.#buf = grown;
  }
}

/** Reads an envelope's fields in order; running past the end is an EnvelopeDecodeError. */
export class ByteReader {
  readonly #buf: Buffer;
  #offset: number;

  constructor(buf: Buffer, offset: number) {
    this.#buf = buf;
    this.#offset = offset;
  }

  get atEnd(): boolean {
    return this.#offset === this.#buf.length;
  }

  u8(what: string): number {
    this.#need(1, what);
    const value = this.#buf.readUInt8(this.#offset);
    this.#offset += 1;
    return value;
  }

  u32(what: string): number {
    this.#need(4, what);
    const value = this.#buf.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A finite number (NaN and the infinities are not numbers any field takes). */
  f64(what: string): number {
    this.#need(8, what);
    const value = this.#buf.readDoubleBE(this.#offset);
    this.#offset += 8;
    if (!Number.isFinite(value))
      throw new EnvelopeDecodeError(`envelope field ${what} is not a finite number`);
    return value;
  }

  str(what: string): string {
    const length = this.u32(what);
    this.#need(length, what);
    const value = this.#buf.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  /** A copy: the entry's buffer may be a slice of a large read the field must not pin. */
  bytes(what: string): Buffer {
    const length = this.u32(what);
    this.#need(length, what);
    const value = Buffer.from(this.#buf.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return value;
  }

  /** The rest of the buffer, copied (the payload). */
  rest(): Buffer {
    const value = Buffer.from(this.#buf.subarray(this.#offset));
    this.#offset = this.#buf.length;
    return value;
  }

  #need(bytes: number, what: string): void {
    if (this.#offset + bytes > this.#buf.length)
      throw new EnvelopeDecodeError(`envelope field ${what} runs past the end`);
  }
}
