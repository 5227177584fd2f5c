/** Byte builders for hand-written packets in codec tests (not a test file itself). */

export type Part = number | number[] | Buffer | string;

/** Concatenates parts: numbers are single bytes, strings are hex ("00 01 ff"). */
export function bytes(...parts: Part[]): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'number') return Buffer.from([p]);
      if (typeof p === 'string') return Buffer.from(p.replace(/\s+/g, ''), 'hex');
      return Buffer.from(p);
    }),
  );
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A length-prefixed UTF-8 string from text. */
export function str(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([u16(body.length), body]);
}

/** A length-prefixed field from raw hex (for invalid UTF-8). */
export function rawStr(hex: string): Buffer {
  const body = bytes(hex);
  return Buffer.concat([u16(body.length), body]);
}

/** A 5.0 property section: length varint then the properties. */
export function props(...parts: Part[]): Buffer {
  const body = bytes(...parts);
  return Buffer.concat([varint(body.length), body]);
}

/** A whole packet: first byte, computed remaining length, body. */
export function frame(first: number, ...body: Part[]): Buffer {
  const b = bytes(...body);
  return Buffer.concat([Buffer.from([first]), varint(b.length), b]);
}

/** A CONNECT with explicit name, level and flags; `rest` follows keep alive (properties, payload). */
export function connect(level: number, flags: number, rest: Part[], name = 'MQTT'): Buffer {
  return frame(0x10, str(name), level, flags, u16(60), ...rest);
}
