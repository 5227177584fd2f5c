import type { Writable } from 'node:stream';

/**
 * The byte-stream protocol between the broker process and its socket workers, over one private
 * socketpair per worker: `u32 payload length | u8 type | u32 connection id | payload`.
 * Connection ids are chosen by the worker; the broker only echoes them.
 */
export const FrameType = {
  /** worker → broker: a connection was accepted; payload is JSON `RemoteConnectionInfo`. */
  open: 1,
  /** both ways: bytes read from / to be written to the connection's socket. */
  data: 2,
  /** worker → broker: the socket closed (peer, error or our end/destroy). */
  closed: 3,
  /**
   * worker → broker: socket write backlogs (bytes Node holds that the kernel did not take yet),
   * as `(u32 id, u32 bytes)` pairs, sent when a backlog moved by 16 KiB or emptied.
   */
  backlogs: 4,
  /** broker → worker: end the socket gracefully (FIN after the pending bytes). */
  end: 5,
  /** broker → worker: destroy the socket now. */
  destroy: 6,
  /** broker → worker: stop / restart reading the socket (backpressure). */
  pause: 7,
  resume: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_HEADER_BYTES = 9;
/** Socket bytes travel in frames of at most this size; larger writes are split. */
export const MAX_DATA_PAYLOAD = 64 * 1024;
/** Any longer frame means a corrupt stream: the link is torn down. */
export const MAX_FRAME_PAYLOAD = 256 * 1024;
/** Pairs per `backlogs` frame (8 bytes each), keeping the frame under MAX_FRAME_PAYLOAD. */
export const MAX_PAIRS_PER_FRAME = MAX_FRAME_PAYLOAD / 8;

const BLOCK_BYTES = 64 * 1024;

export class FrameError extends Error {}

/**
 * Queues frames and writes everything queued in one event-loop turn with one `write`: frames
 * are copied into a shared block rather than written one by one (an MQTT packet is usually tens
 * of bytes).
 */
export class FrameWriter {
  #block = Buffer.allocUnsafe(BLOCK_BYTES);
  /** Start of the bytes not yet handed to the pipe, and end of the bytes written into the block. */
  #start = 0;
  #end = 0;
  /** Where the last queued frame starts when it is a `data` frame not yet handed over; else -1. */
  #lastData = -1;
  #lastDataId = 0;
  #scheduled = false;
  readonly #flush = (): void => this.flush();

  constructor(private readonly pipe: Writable) {}

  /** Bytes handed to the pipe that it has not written yet. */
  get backlog(): number {
    return this.pipe.writableLength;
  }

  send(type: FrameType, id: number, payload?: Uint8Array): void {
    if (payload === undefined || payload.length <= MAX_DATA_PAYLOAD) {
      this.#append(type, id, payload);
      return;
    }
    for (let offset = 0; offset < payload.length; offset += MAX_DATA_PAYLOAD) {
      this.#append(type, id, payload.subarray(offset, offset + MAX_DATA_PAYLOAD));
    }
  }

  /** Hands the queued frames to the pipe now (normally done once per tick). */
  flush(): void {
    this.#scheduled = false;
    this.#lastData = -1;
    if (this.#end === this.#start) return;
    const bytes = this.#block.subarray(this.#start, this.#end);
    this.#start = this.#end;
    if (!this.pipe.destroyed) this.pipe.write(bytes);
  }

  #append(type: FrameType, id: number, payload: Uint8Array | undefined): void {
    const length = payload?.length ?? 0;
    if (type === FrameType.data && this.#extendData(id, payload!)) return;
    if (this.#block.length - this.#end < FRAME_HEADER_BYTES + length)
      this.#newBlock(FRAME_HEADER_BYTES + length);
    const block = this.#block;
    let at = this.#end;
    block.writeUInt32BE(length, at);
    block[at + 4] = type;
    block.writeUInt32BE(id, at + 5);
    at += FRAME_HEADER_BYTES;
    if (payload !== undefined) block.set(payload, at);
    this.#lastData = type === FrameType.data ? this.#end : -1;
    this.#lastDataId = id;
    this.#end = at + length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Once per event-loop turn: everything the turn's callbacks wrote goes out in one write.
      setImmediate(this.#flush);
    }
  }

  /**
   * Appends to the last frame when it carries data for the same connection: the packets one
   * connection gets in a turn (a burst of deliveries, acks) travel as one frame and reach its
   * socket as one write.
   */
  #extendData(id: number, payload: Uint8Array): boolean {
    const last = this.#lastData;
    if (last < 0 || this.#lastDataId !== id) return false;
    const block = this.#block;
    const length = block.readUInt32BE(last);
    if (length + payload.length > MAX_DATA_PAYLOAD || block.length - this.#end < payload.length) return false;
    block.set(payload, this.#end);
    block.writeUInt32BE(length + payload.length, last);
    this.#end += payload.length;
    return true;
  }

  /** The pipe may still hold views of the old block: a new one, never a reused one. */
  #newBlock(atLeast: number): void {
    this.flush();
    this.#block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, atLeast));
    this.#start = 0;
    this.#end = 0;
    this.#lastData = -1;
  }
}

export type FrameHandler = (type: number, id: number, payload: Buffer) => void;

/** Splits the pipe's chunks back into frames; payloads are views of the chunks (not copied). */
export class FrameReader {
  #rest: Buffer | undefined;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Throws FrameError on a frame longer than MAX_FRAME_PAYLOAD (the stream is corrupt). */
  push(chunk: Buffer): void {
    let bytes = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let at = 0;
    while (bytes.length - at >= FRAME_HEADER_BYTES) {
      const length = bytes.readUInt32BE(at);
      if (length > MAX_FRAME_PAYLOAD) throw new FrameError(`frame of ${length} bytes exceeds the limit`);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > bytes.length) break;
      this.onFrame(bytes[at + 4]!, bytes.readUInt32BE(at + 5), bytes.subarray(at + FRAME_HEADER_BYTES, end));
      at = end;
    }
    if (at < bytes.length) {
      // Copy the tail so the chunk it came from can be collected.
      bytes = bytes.subarray(at);
      this.#rest = Buffer.from(bytes);
    }
  }
}

/** Encodes the `(id, bytes)` pairs of a `backlogs` frame. */
export function encodePairs(pairs: readonly number[]): Buffer {
  const payload = Buffer.allocUnsafe(pairs.length * 4);
  for (let i = 0; i < pairs.length; i++) payload.writeUInt32BE(pairs[i]!, i * 4);
  return payload;
}

/** Calls `onPair(id, bytes)` for each pair of a `backlogs` frame. */
export function decodePairs(payload: Buffer, onPair: (id: number, bytes: number) => void): void {
  if (payload.length % 8 !== 0) throw new FrameError('pairs frame of odd length');
  for (let at = 0; at < payload.length; at += 8)
    onPair(payload.readUInt32BE(at), payload.readUInt32BE(at + 4));
}
