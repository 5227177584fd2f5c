/** Crafted v5 property blocks: valid, duplicated, forbidden for the packet, unknown or malformed. */
import { encodeVarint, mqttString } from '../helpers/frames.js';
import type { Prng } from './prng.js';

type Kind = 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair';

/** Every MQTT 5 property identifier and its value type (MQTT 5.0 §2.2.2.2). */
const PROPERTY_KINDS: ReadonlyArray<readonly [number, Kind]> = [
  [0x01, 'byte'],
  [0x02, 'u32'],
  [0x03, 'string'],
  [0x08, 'string'],
  [0x09, 'binary'],
  [0x0b, 'varint'],
  [0x11, 'u32'],
  [0x12, 'string'],
  [0x13, 'u16'],
  [0x15, 'string'],
  [0x16, 'binary'],
  [0x17, 'byte'],
  [0x18, 'u32'],
  [0x19, 'byte'],
  [0x1a, 'string'],
  [0x1c, 'string'],
  [0x1f, 'string'],
  [0x21, 'u16'],
  [0x22, 'u16'],
  [0x23, 'u16'],
  [0x24, 'byte'],
  [0x25, 'byte'],
  [0x26, 'pair'],
  [0x27, 'u32'],
  [0x28, 'byte'],
  [0x29, 'byte'],
  [0x2a, 'byte'],
];
const UNKNOWN_IDS = [0x00, 0x04, 0x7f, 0xff];
const BAD_UTF8 = [
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate [MQTT-1.5.4-1]
  Buffer.from([0xff]),
  Buffer.from([0x00]), // U+0000 [MQTT-1.5.4-2]
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0xe2, 0x82]), // truncated sequence
];

/** A byte sequence that is not well-formed MQTT UTF-8. */
export function badUtf8(prng: Prng): Buffer {
  return prng.pick(BAD_UTF8);
}

function text(prng: Prng): Buffer {
  if (prng.chance(0.2)) return Buffer.concat([Buffer.from('a'), badUtf8(prng)]);
  return Buffer.from(prng.pick(['', 'x', 'fuzz/reply', 'SCRAM-SHA-1', 'ü'.repeat(prng.between(1, 40))]));
}

function uint(prng: Prng, bytes: 1 | 2 | 4): Buffer {
  const max = 2 ** (8 * bytes) - 1;
  const value = prng.pick([0, 1, 2, max, prng.below(max + 1)]);
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

function value(prng: Prng, kind: Kind): Buffer {
  switch (kind) {
    case 'byte':
      return uint(prng, 1);
    case 'u16':
      return uint(prng, 2);
    case 'u32':
      return uint(prng, 4);
    case 'varint':
      return prng.chance(0.2)
        ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01])
        : encodeVarint(prng.pick([0, 1, 268_435_455, prng.below(1000)]));
    case 'string':
      return mqttString(text(prng));
    case 'binary':
      return mqttString(prng.bytes(prng.below(8)));
    case 'pair':
      return Buffer.concat([mqttString(text(prng)), mqttString(text(prng))]);
  }
}

function property(prng: Prng): Buffer {
  if (prng.chance(0.1)) {
    // Unknown identifiers, including a two-byte Variable Byte Integer identifier.
    const id = prng.chance(0.3) ? Buffer.from([0x81, 0x01]) : Buffer.from([prng.pick(UNKNOWN_IDS)]);
    return Buffer.concat([id, prng.bytes(prng.below(4))]);
  }
  const [id, kind] = prng.pick(PROPERTY_KINDS);
  return Buffer.concat([Buffer.from([id]), value(prng, kind)]);
}

/** A length-prefixed properties block, sometimes with a duplicate entry or a lying length. */
export function propertiesBlock(prng: Prng): Buffer {
  const entries = Array.from({ length: prng.between(0, 5) }, () => property(prng));
  if (entries.length > 0 && prng.chance(0.4)) entries.push(prng.pick(entries));
  const body = Buffer.concat(entries);
  if (prng.chance(0.15)) {
    const declared = Math.max(0, body.length + prng.pick([-2, -1, 1, 2, 1000]));
    return Buffer.concat([encodeVarint(declared), body]);
  }
  return Buffer.concat([encodeVarint(body.length), body]);
}
