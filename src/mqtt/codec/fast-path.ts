import type { Packet, ProtocolVersion, PublishPacket } from './packet.js';

/**
 * Purpose-built encoding and decoding for the per-message packets (PUBLISH without 5.0
 * properties, and the 4-byte PUBACK/PUBREC/PUBREL/PUBCOMP), which dominate a broker's CPU when
 * left to mqtt-packet's general stream writer and parser. Output is byte-for-byte (encoding) and
 * field-for-field (decoding) what mqtt-packet produces; test/unit/codec/fast-path.test.ts checks
 * that differentially. Anything unusual returns undefined and takes the general path.
 */

/** Largest Remaining Length (MQTT 5.0 §1.5.5). */
const MAX_REMAINING = 268_435_455;
const EMPTY = Buffer.alloc(0);

const ACK_HEADER: Readonly<Record<string, number>> = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62,
  pubcomp: 0x70,
};

function isPacketId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 0xffff;
}

function hasNoKeys(properties: object | undefined): boolean {
  if (properties === undefined) return true;
  for (const _ in properties) return false;
  return true;
}

function varintLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** PUBLISH; 3.1.1 ignores properties (as mqtt-packet does), 5.0 only when there are none. */
export function encodePublishFast(packet: PublishPacket, version: ProtocolVersion): Buffer | undefined {
  const { topic, qos, messageId } = packet;
  const payload = packet.payload || EMPTY; // mqtt-packet: '' means no payload
  if (typeof topic !== 'string' || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  if (qos > 0 && !isPacketId(messageId)) return undefined;
  if (version === 5 && !hasNoKeys(packet.properties)) return undefined;
  const isBuffer = Buffer.isBuffer(payload);
  if (!isBuffer && typeof payload !== 'string') return undefined;
  const topicLength = Buffer.byteLength(topic);
  if (topicLength > 0xffff) return undefined;
  const payloadLength = isBuffer ? payload.length : Buffer.byteLength(payload);
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + payloadLength;
  if (remaining > MAX_REMAINING) return undefined;
  const out = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  // DUP is 0 on QoS 0 [MQTT-3.3.1-2].
  out[0] = 0x30 | (packet.dup && qos > 0 ? 0x08 : 0) | (qos << 1) | (packet.retain ? 0x01 : 0);
  let at = writeVarint(out, 1, remaining);
  out[at++] = topicLength >> 8;
  out[at++] = topicLength & 0xff;
  at += out.write(topic, at, topicLength === topic.length ? 'latin1' : 'utf8'); // ASCII: latin1 is the same bytes, faster
  if (qos > 0) {
    out[at++] = messageId! >> 8;
    out[at++] = messageId! & 0xff;
  }
  if (version === 5) out[at++] = 0; // property length 0
  if (isBuffer) payload.copy(out, at);
  else out.write(payload, at, 'utf8');
  return out;
}

/** PUBACK/PUBREC/PUBREL/PUBCOMP in the 2-byte body form (5.0: Success, no properties). */
export function encodeAckFast(packet: Packet, version: ProtocolVersion): Buffer | undefined {
  if (
    packet.cmd !== 'puback' &&
    packet.cmd !== 'pubrec' &&
    packet.cmd !== 'pubrel' &&
    packet.cmd !== 'pubcomp'
  ) {
    return undefined;
  }
  const { messageId } = packet;
  if (!isPacketId(messageId)) return undefined;
  if (packet.cmd === 'pubrel' && (packet as { dup?: boolean }).dup) return undefined;
  if (version === 5 && ((packet.reasonCode ?? 0) !== 0 || packet.properties !== undefined)) return undefined;
  const out = Buffer.allocUnsafe(4);
  out[0] = ACK_HEADER[packet.cmd]!;
  out[1] = 2;
  out[2] = messageId >> 8;
  out[3] = messageId & 0xff;
  return out;
}

function writeVarint(out: Buffer, at: number, value: number): number {
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out[at++] = byte;
  } while (v > 0);
  return at;
}

/**
 * A PUBLISH already checked by validate.ts (topic UTF-8, packet id, 5.0 properties) decoded in
 * place: `payloadOffset` is where the walk ended. Undefined when 5.0 properties are present (the
 * general parser builds those). The payload is a view into `bytes`, as mqtt-packet's is.
 */
export function decodePublishFast(
  bytes: Buffer,
  headerLength: number,
  remainingLength: number,
  payloadOffset: number,
  version: ProtocolVersion,
): PublishPacket | undefined {
  const first = bytes[0]!;
  const qos = ((first >> 1) & 3) as 0 | 1 | 2;
  const topicLength = bytes.readUInt16BE(headerLength);
  const topicEnd = headerLength + 2 + topicLength;
  // 5.0: a property length other than a single 0 byte means properties: general path.
  if (version === 5 && (payloadOffset !== topicEnd + (qos > 0 ? 3 : 1) || bytes[payloadOffset - 1] !== 0)) {
    return undefined;
  }
  const packet: PublishPacket = {
    cmd: 'publish',
    retain: (first & 0x01) !== 0,
    qos,
    dup: (first & 0x08) !== 0,
    length: remainingLength,
    topic: bytes.toString('utf8', headerLength + 2, topicEnd),
    payload: bytes.subarray(payloadOffset, headerLength + remainingLength),
  };
  if (qos > 0) packet.messageId = bytes.readUInt16BE(topicEnd);
  return packet;
}

const ACK_COMMANDS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

/**
 * PUBACK/PUBREC/PUBREL/PUBCOMP in the 2-byte body form (already validated), shaped as
 * mqtt-packet's parser shapes it (its Packet defaults included; 5.0 reads the omitted reason code
 * as 0x00 Success, MQTT 5.0 §3.4.2.1). Undefined for the longer 5.0 forms. The packet identifier
 * follows the fixed header, whose Remaining Length may take more bytes than needed (a non-minimal
 * encoding that mqtt-packet accepts too), so its offset is `headerLength`, not 2.
 */
export function decodeAckFast(
  bytes: Buffer,
  type: number,
  headerLength: number,
  remainingLength: number,
  version: ProtocolVersion,
): Packet | undefined {
  if (remainingLength !== 2) return undefined;
  const cmd = ACK_COMMANDS[type - 4]!;
  const packet = {
    cmd,
    retain: false,
    qos: cmd === 'pubrel' ? 1 : 0,
    dup: false,
    length: 2,
    topic: null,
    payload: null,
    messageId: bytes.readUInt16BE(headerLength),
    ...(version === 5 ? { reasonCode: 0 } : {}),
  };
  return packet as unknown as Packet;
}

/** PINGREQ / PINGRESP (no body), shaped as mqtt-packet's parser shapes them. */
export function decodePingFast(type: number): Packet {
  const packet = {
    cmd: type === 12 ? 'pingreq' : 'pingresp',
    retain: false,
    qos: 0,
    dup: false,
    length: 0,
    topic: null,
    payload: null,
  };
  return packet as unknown as Packet;
}
