/** Splits a byte stream into whole MQTT packets by fixed header [MQTT-2.2]; keeps the incomplete tail. */
export function splitFrames(bytes: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const header = readRemainingLength(bytes, offset + 1);
    if (header === undefined) break;
    const end = offset + 1 + header.lengthBytes + header.value;
    if (end > bytes.length) break;
    frames.push(bytes.subarray(offset, end));
    offset = end;
  }
  return { frames, rest: bytes.subarray(offset) };
}

/** Variable Byte Integer [MQTT-1.5.5]; undefined when more bytes are needed. */
export function readRemainingLength(
  bytes: Buffer,
  at: number,
): { value: number; lengthBytes: number } | undefined {
  let value = 0;
  for (let i = 0; i < 4; i += 1) {
    const byte = bytes[at + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return { value, lengthBytes: i + 1 };
  }
  // A fifth length byte is malformed; treat the rest as one undecodable frame.
  return { value: bytes.length - at - 4, lengthBytes: 4 };
}

/** Encodes a Variable Byte Integer, for hand-built packets. */
export function encodeVarint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out.push(byte);
  } while (rest > 0);
  return Buffer.from(out);
}

/** A packet from a first byte and a body: fixed header + remaining length + body. */
export function frame(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), encodeVarint(body.length), body]);
}

/** MQTT UTF-8 string: two-byte length prefix + bytes [MQTT-1.5.4]. */
export function mqttString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
