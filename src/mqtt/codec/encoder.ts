import { generate, writeToStream } from 'mqtt-packet';
import { MqttError } from './errors.js';
import { encodeAckFast, encodePublishFast } from './fast-path.js';
import { readFixedHeader } from './fixed-header.js';
import type { ConnackPacket, ConnectPacket, Packet, ProtocolVersion, SubackPacket } from './packet.js';
import { ReasonCode, toV3ConnectReturnCode, toV3SubackCode } from './reason-codes.js';

/** The largest packet MQTT can frame: 268,435,455 bytes of body plus a 5-byte fixed header. */
const MAX_FRAME = 268_435_455 + 5;

// mqtt-packet otherwise builds a 65,536-Buffer number cache (~7 MB) on its first use; the
// packets it still writes (CONNACK, SUBACK, …) are per connection, not per message.
writeToStream.cacheNumbers = false;

/**
 * Serialises a packet for a connection speaking `protocolVersion`. 3.1.1 / 3.1 output never
 * carries 5.0 fields: mqtt-packet already drops properties and subscription options for them,
 * and this adapts the rest (CONNACK and SUBACK codes, protocol name and level).
 */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  // The per-message packets first, without mqtt-packet's general writer (fast-path.ts).
  const fast =
    packet.cmd === 'publish'
      ? encodePublishFast(packet, protocolVersion)
      : encodeAckFast(packet, protocolVersion);
  if (fast !== undefined) return fast;
  const prepared = prepare(packet, protocolVersion);
  let out: Buffer;
  try {
    out = generate(prepared, { protocolVersion });
  } catch (err) {
    throw encodeError(packet, err instanceof Error ? err.message : String(err), err);
  }
  // mqtt-packet can fail silently (out-of-range numbers, strings over 65,535 bytes): the frame it
  // returns is then shorter than its own header says, so check the frame is whole.
  let header: ReturnType<typeof readFixedHeader>;
  try {
    header = readFixedHeader(out, 0, MAX_FRAME);
  } catch {
    header = undefined;
  }
  if (header === undefined || header.total !== out.length) throw encodeError(packet, 'field out of range');
  return out;
}

function prepare(packet: Packet, version: ProtocolVersion): Packet {
  switch (packet.cmd) {
    case 'connect':
      return prepareConnect(packet, version);
    case 'connack':
      return version === 5 ? packet : prepareV3Connack(packet);
    case 'suback':
      return version === 5 ? packet : prepareV3Suback(packet);
    case 'publish':
      // DUP must be 0 on QoS 0 [MQTT-3.3.1-2]; a stale flag must not leak onto the wire.
      return packet.dup && !packet.qos ? { ...packet, dup: false } : packet;
    case 'auth':
      if (version !== 5) throw encodeError(packet, 'AUTH exists only in MQTT 5');
      return packet;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      // Without a reason code mqtt-packet writes a Success byte and an empty property length;
      // 0 lets it use the 2-byte short form (MQTT 5.0 §3.4.2.1).
      return version === 5 && packet.reasonCode === undefined ? { ...packet, reasonCode: 0 } : packet;
    default:
      return packet;
  }
}

/** mqtt-packet takes the level from the packet itself; the connection's version wins. */
function prepareConnect(packet: ConnectPacket, version: ProtocolVersion): ConnectPacket {
  const protocolId = version === 3 ? 'MQIsdp' : 'MQTT';
  if (packet.protocolVersion === version && packet.protocolId === protocolId) return packet;
  return { ...packet, protocolVersion: version, protocolId };
}

/** 3.1.1 CONNACK carries a return code; accept a 5.0 reason code and downgrade it. */
function prepareV3Connack(packet: ConnackPacket): ConnackPacket {
  if (packet.returnCode !== undefined) return packet;
  const reasonCode = (packet.reasonCode ?? ReasonCode.Success) as ReasonCode;
  return {
    cmd: 'connack',
    sessionPresent: packet.sessionPresent,
    returnCode: toV3ConnectReturnCode(reasonCode),
  };
}

/** 3.1.1 SUBACK has only 0, 1, 2 and 0x80 [MQTT-3.9.3-2]. */
function prepareV3Suback(packet: SubackPacket): SubackPacket {
  const granted = packet.granted as number[];
  if (granted.every((code) => code <= 2 || code === 0x80)) return packet;
  return { ...packet, granted: granted.map(toV3SubackCode) };
}

function encodeError(packet: Packet, reason: string, cause?: unknown): MqttError {
  return new MqttError(ReasonCode.ImplementationSpecificError, `cannot encode ${packet.cmd}: ${reason}`, {
    cause,
  });
}
