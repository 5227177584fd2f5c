/** Just enough MQTT framing to mutate packets in place: fixed header, lengths, property offsets. */
import { encodeVarint, frame } from '../helpers/frames.js';

export const PUBLISH = 3;

/** A packet cut into its first byte and its body (the bytes after the Remaining Length). */
export interface Parts {
  readonly first: number;
  readonly body: Buffer;
}

/** Splits a well-framed packet; undefined when its Remaining Length is unreadable. */
export function parts(packet: Buffer): Parts | undefined {
  const first = packet[0];
  if (first === undefined) return undefined;
  for (let i = 1; i <= 4 && i < packet.length; i += 1) {
    if ((packet[i]! & 0x80) === 0) return { first, body: packet.subarray(i + 1) };
  }
  return undefined;
}

/** Rebuilds a packet with a correct ("refitted") Remaining Length. */
export function refit(first: number, body: Buffer): Buffer {
  return frame(first, body);
}

/** A Remaining Length field that is wrong on purpose. */
export function wrongLength(choice: number, actual: number, random: number): Buffer {
  switch (choice % 6) {
    case 0:
      return encodeVarint(Math.max(0, actual + (random % 7) - 3));
    case 1:
      return encodeVarint(random % 268_435_456);
    case 2:
      // Non-minimal encoding of the right value [MQTT-1.5.5-1] (allowed to parse, but odd).
      return Buffer.from([(actual & 0x7f) | 0x80, 0x80, 0x00]);
    case 3:
      return Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]); // a fifth length byte: malformed
    case 4:
      return Buffer.from([0xff, 0xff, 0xff, 0x7f]); // the largest legal length
    default:
      return Buffer.from([0x80]); // a continuation bit and then the body's first byte
  }
}

/** A Variable Byte Integer at `at`; undefined when cut off or longer than four bytes. */
export function readVarint(bytes: Buffer, at: number): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i += 1) {
    const byte = bytes[at + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
  }
  return undefined;
}

/** Where a v5 packet's properties block starts in its body, for the types that have one. */
export function propertiesOffset(first: number, body: Buffer): number | undefined {
  const type = first >> 4;
  switch (type) {
    case 1: {
      if (body.length < 2) return undefined;
      return 2 + body.readUInt16BE(0) + 4;
    }
    case PUBLISH: {
      if (body.length < 2) return undefined;
      return 2 + body.readUInt16BE(0) + (((first >> 1) & 3) > 0 ? 2 : 0);
    }
    case 4:
    case 5:
    case 6:
    case 7:
      return 3;
    case 8:
    case 10:
      return 2;
    case 14:
    case 15:
      return 1;
    default:
      return undefined;
  }
}

/** Replaces the properties block of a v5 packet with `block` (length-prefixed); refits the length. */
export function withProperties(packet: Buffer, block: Buffer): Buffer | undefined {
  const split = parts(packet);
  if (split === undefined) return undefined;
  const offset = propertiesOffset(split.first, split.body);
  if (offset === undefined) return undefined;
  // Acks and DISCONNECT/AUTH may stop before their reason code; pad with "success" to reach it.
  const body =
    split.body.length < offset
      ? Buffer.concat([split.body, Buffer.alloc(offset - split.body.length)])
      : split.body;
  const old = readVarint(body, offset);
  const end = old === undefined ? offset : Math.min(body.length, offset + old.size + old.value);
  return refit(split.first, Buffer.concat([body.subarray(0, offset), block, body.subarray(end)]));
}

/** Offset of the packet identifier in the body, for the types that carry one. */
export function packetIdOffset(first: number, body: Buffer): number | undefined {
  const type = first >> 4;
  if (type === PUBLISH) {
    if (((first >> 1) & 3) === 0 || body.length < 2) return undefined;
    return 2 + body.readUInt16BE(0);
  }
  return type >= 4 && type <= 11 && type !== 9 ? 0 : undefined;
}
