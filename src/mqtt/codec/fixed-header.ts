import { MalformedPacketError, PacketTooLargeError } from './errors.js';

/** Control packet type numbers, the high nibble of the first byte (MQTT 5.0 §2.1.2). */
export const PacketType = {
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
  Auth: 15,
} as const;

export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export interface FixedHeader {
  /** Packet type, 0..15 (0 is reserved and rejected by `checkFixedHeader`). */
  readonly type: number;
  /** Low nibble of the first byte. */
  readonly flags: number;
  /** Bytes of the fixed header: 1 + length of the Remaining Length varint. */
  readonly headerLength: number;
  readonly remainingLength: number;
  /** Whole packet size in bytes: header + remaining length. */
  readonly total: number;
}

/**
 * Reads the fixed header at `offset`, or returns undefined while it is still incomplete.
 * Throws as soon as the header shows the packet is too large, so its body is never buffered.
 */
export function readFixedHeader(buf: Buffer, offset: number, maxPacketSize: number): FixedHeader | undefined {
  const available = buf.length - offset;
  if (available < 2) return undefined;
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (i >= available) return undefined;
    const byte = buf[offset + i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const first = buf[offset]!;
      const total = 1 + i + value;
      if (total > maxPacketSize) {
        throw new PacketTooLargeError(`packet of ${total} bytes exceeds the maximum of ${maxPacketSize}`);
      }
      return { type: first >> 4, flags: first & 0x0f, headerLength: 1 + i, remainingLength: value, total };
    }
    multiplier *= 128;
  }
  // A fifth length byte would be needed: Variable Byte Integers use at most four (MQTT 5.0 §1.5.5).
  throw new MalformedPacketError('remaining length is longer than 4 bytes');
}
