import { encodePacket } from '../../src/mqtt/codec/encoder.js';
import type { QoS } from '../../src/mqtt/codec/packet.js';

/** What a load-generator PUBLISH carries: a send timestamp (latency) or a numeric value (ingest). */
export type PayloadKind = 'stamp' | 'digits';

/** Size of a `stamp` payload: f64 µs timestamp, u16 origin worker, zero filler (64 bytes, the target payload size). */
export const STAMP_PAYLOAD = 64;
const DIGITS_PAYLOAD = 8;

/**
 * One topic's PUBLISH, encoded once by the project's encoder; each message is a copy with the
 * payload and packet id patched in place, so the generator spends almost nothing per message.
 */
export interface PublishTemplate {
  readonly bytes: Buffer;
  readonly idOffset: number;
  readonly payloadOffset: number;
  readonly kind: PayloadKind;
}

export function publishTemplate(topic: string, qos: QoS, kind: PayloadKind): PublishTemplate {
  const size = kind === 'stamp' ? STAMP_PAYLOAD : DIGITS_PAYLOAD;
  const payload = Buffer.alloc(size, kind === 'stamp' ? 0 : 0x31);
  const packet = { cmd: 'publish' as const, topic, payload, qos, retain: false, dup: false };
  const bytes = encodePacket(qos === 0 ? packet : { ...packet, messageId: 1 }, 4);
  const payloadOffset = bytes.length - size;
  return { bytes, idOffset: qos === 0 ? -1 : payloadOffset - 2, payloadOffset, kind };
}

/** Writes one message of `template` into `out` at `at`; returns the next free offset. */
export function fillPublish(
  template: PublishTemplate,
  out: Buffer,
  at: number,
  packetId: number,
  stampMicros: number,
  origin: number,
  counter: number,
): number {
  template.bytes.copy(out, at);
  if (template.idOffset >= 0) out.writeUInt16BE(packetId, at + template.idOffset);
  const p = at + template.payloadOffset;
  if (template.kind === 'stamp') {
    out.writeDoubleLE(stampMicros, p);
    out.writeUInt16LE(origin, p + 8);
  } else {
    out.write(String(10_000_000 + (counter % 89_999_999)), p, 'latin1');
  }
  return at + template.bytes.length;
}

/** PUBACK for `packetId`, written at `at` of `out` (4 bytes, 3.1.1 form). */
export function fillPuback(out: Buffer, at: number, packetId: number): void {
  out[at] = 0x40;
  out[at + 1] = 2;
  out.writeUInt16BE(packetId, at + 2);
}

/** A frame located in a buffer: type nibble, flags, where its body starts and its total size. */
export interface Frame {
  type: number;
  flags: number;
  bodyOffset: number;
  total: number;
}

/** Reads the fixed header at `off`; false while incomplete. Reuses `frame` to avoid allocation. */
export function readFrame(buf: Buffer, off: number, frame: Frame): boolean {
  const available = buf.length - off;
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (i >= available) return false;
    const byte = buf[off + i]!;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const total = 1 + i + length;
      if (total > available) return false;
      frame.type = buf[off]! >> 4;
      frame.flags = buf[off]! & 0x0f;
      frame.bodyOffset = off + 1 + i;
      frame.total = total;
      return true;
    }
    multiplier *= 128;
  }
  throw new Error('malformed remaining length from broker');
}
