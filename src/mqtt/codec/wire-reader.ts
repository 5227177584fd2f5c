import { isUtf8 } from 'node:buffer';
import { MalformedPacketError } from './errors.js';

/**
 * A bounds-checked cursor over one packet's bytes. It only checks and skips, so walking a packet
 * allocates nothing; every overrun is a Malformed Packet.
 */
export class WireReader {
  pos: number;
  /**
   * Property sections whose User Properties mqtt-packet would merge wrongly (see
   * `collectUserProperties`), as flat [context, offset] pairs; rare, so usually undefined.
   */
  userPropertyFixes: number[] | undefined;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** Variable Byte Integer of at most four bytes (MQTT 5.0 §1.5.5). */
  varint(field: string): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.u8(field);
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new MalformedPacketError(`${field}: variable byte integer longer than 4 bytes`);
  }

  /** Skips a length-prefixed UTF-8 string after checking it [MQTT-1.5.3-1] [MQTT-1.5.3-2]; returns its byte length. */
  utf8(field: string): number {
    const length = this.u16(field);
    this.need(length, field);
    const start = this.pos;
    this.pos += length;
    checkUtf8(this.buf, start, this.pos, field);
    return length;
  }

  /** Reads a length-prefixed UTF-8 string (already checked by a previous walk). */
  readString(field: string): string {
    const length = this.u16(field);
    this.need(length, field);
    this.pos += length;
    return this.buf.toString('utf8', this.pos - length, this.pos);
  }

  /** Skips length-prefixed binary data. */
  binary(field: string): void {
    const length = this.u16(field);
    this.need(length, field);
    this.pos += length;
  }

  /** True when the next bytes equal `ascii` as a length-prefixed string (does not advance). */
  peekString(ascii: string): boolean {
    if (this.remaining < 2 + ascii.length || this.buf.readUInt16BE(this.pos) !== ascii.length) return false;
    for (let i = 0; i < ascii.length; i++) {
      if (this.buf[this.pos + 2 + i] !== ascii.charCodeAt(i)) return false;
    }
    return true;
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end)
      throw new MalformedPacketError(`${what}: ${this.end - this.pos} unexpected trailing bytes`);
  }

  private need(bytes: number, field: string): void {
    if (this.end - this.pos < bytes) throw new MalformedPacketError(`${field}: packet truncated`);
  }
}

/**
 * Well-formed UTF-8 (no overlongs, no surrogates) [MQTT-1.5.3-1] without U+0000 [MQTT-1.5.3-2];
 * MQTT 5.0 numbers these [MQTT-1.5.4-1/2] and makes both a Malformed Packet.
 * ASCII is checked inline because almost every topic and client id is ASCII.
 */
export function checkUtf8(buf: Buffer, start: number, end: number, field: string): void {
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte === 0) throw new MalformedPacketError(`${field}: contains U+0000`);
    if (byte >= 0x80) {
      const rest = buf.subarray(i, end);
      if (!isUtf8(rest)) throw new MalformedPacketError(`${field}: invalid UTF-8`);
      if (rest.indexOf(0) !== -1) throw new MalformedPacketError(`${field}: contains U+0000`);
      return;
    }
  }
}
