import { MalformedPacketError, ProtocolError } from './errors.js';
import { type FixedHeader, PacketType } from './fixed-header.js';
import type { ProtocolVersion } from './packet.js';
import { walkProperties } from './properties.js';
import type { WireReader } from './wire-reader.js';

/**
 * The checks mqtt-packet skips, made on the raw bytes before it parses them. Classification
 * follows MQTT 5.0 §4.13: bytes that cannot be parsed per the spec (bad flags, lengths, UTF-8,
 * unknown properties) are Malformed (0x81); parsable data the spec forbids (packet id 0, empty
 * SUBSCRIBE, repeated property, QoS 3 in subscription options) is a Protocol Error (0x82).
 */

/** Checked as soon as the first byte is known, before the body is buffered. */
export function checkFixedHeader(type: number, flags: number, version: ProtocolVersion | undefined): void {
  if (type === 0) throw new MalformedPacketError('reserved packet type 0');
  if (type === PacketType.Auth && version !== 5) throw new MalformedPacketError('AUTH before MQTT 5');
  if (type === PacketType.Publish) {
    const qos = (flags >> 1) & 3;
    if (qos === 3) throw new MalformedPacketError('PUBLISH with QoS 3'); // [MQTT-3.3.1-4]
    if (qos === 0 && (flags & 0x08) !== 0) throw new MalformedPacketError('PUBLISH QoS 0 with DUP set'); // [MQTT-3.3.1-2]
    return;
  }
  // [MQTT-2.2.2-1] [MQTT-2.2.2-2]; PUBREL [MQTT-3.6.1-1], SUBSCRIBE [MQTT-3.8.1-1], UNSUBSCRIBE [MQTT-3.10.1-1]
  const expected =
    type === PacketType.Pubrel || type === PacketType.Subscribe || type === PacketType.Unsubscribe
      ? 0b0010
      : 0;
  if (flags !== expected)
    throw new MalformedPacketError(`invalid fixed header flags 0x${flags.toString(16)}`);
}

/** Walks the body of any packet but CONNECT (see validate-connect.ts). */
export function validateBody(r: WireReader, header: FixedHeader, version: ProtocolVersion): void {
  switch (header.type) {
    case PacketType.Publish:
      walkPublish(r, header.flags, version);
      break;
    case PacketType.Puback:
    case PacketType.Pubrec:
    case PacketType.Pubrel:
    case PacketType.Pubcomp:
      walkPubAck(r, header.type, version);
      break;
    case PacketType.Subscribe:
      walkSubscribe(r, version);
      break;
    case PacketType.Unsubscribe:
      walkUnsubscribe(r, version);
      break;
    case PacketType.Connack:
      walkConnack(r, version);
      break;
    case PacketType.Suback:
    case PacketType.Unsuback:
      walkSubOrUnsubAck(r, header.type, version);
      break;
    case PacketType.Disconnect:
    case PacketType.Auth:
      walkReasonAndProperties(r, header.type, version);
      break;
    default:
      // PINGREQ / PINGRESP have no body.
      r.expectEnd('PINGREQ/PINGRESP');
  }
}

function packetId(r: WireReader): void {
  // [MQTT-2.3.1-1] (3.1.1) / [MQTT-2.2.1-3] (5.0): PUBLISH QoS>0, SUBSCRIBE, UNSUBSCRIBE and acks
  if (r.u16('packet identifier') === 0) throw new ProtocolError('packet identifier 0');
}

function walkPublish(r: WireReader, flags: number, version: ProtocolVersion): void {
  r.utf8('topic name');
  if ((flags & 0b0110) !== 0) packetId(r);
  if (version === 5) walkProperties(r, PacketType.Publish);
  // The rest is the payload: opaque bytes.
}

function walkPubAck(r: WireReader, type: PacketType, version: ProtocolVersion): void {
  packetId(r);
  if (version === 5) {
    // Reason code and properties may be omitted (MQTT 5.0 §3.4.2.1); mqtt-packet checks the code.
    if (r.remaining > 0) r.u8('reason code');
    if (r.remaining > 0) walkProperties(r, type);
  }
  r.expectEnd('acknowledgement');
}

function walkSubscribe(r: WireReader, version: ProtocolVersion): void {
  packetId(r);
  if (version === 5) walkProperties(r, PacketType.Subscribe);
  // 3.1.1 [MQTT-3.8.3-3], 5.0 [MQTT-3.8.3-2]
  if (r.remaining === 0) throw new ProtocolError('SUBSCRIBE without topic filters');
  while (r.remaining > 0) {
    r.utf8('topic filter');
    checkSubscriptionOptions(r.u8('subscription options'), version);
  }
}

function checkSubscriptionOptions(options: number, version: ProtocolVersion): void {
  const qos = options & 3;
  if (version < 5) {
    // Reserved bits and QoS 3 are both malformed in 3.1.1 [MQTT-3-8.3-4].
    if ((options & 0xfc) !== 0) throw new MalformedPacketError('subscription options reserved bits set');
    if (qos === 3) throw new MalformedPacketError('subscription QoS 3');
    return;
  }
  if ((options & 0xc0) !== 0) throw new MalformedPacketError('subscription options reserved bits set'); // [MQTT-3.8.3-5]
  if (qos === 3) throw new ProtocolError('subscription Maximum QoS 3');
  if (((options >> 4) & 3) === 3) throw new ProtocolError('subscription Retain Handling 3');
}

function walkUnsubscribe(r: WireReader, version: ProtocolVersion): void {
  packetId(r);
  if (version === 5) walkProperties(r, PacketType.Unsubscribe);
  if (r.remaining === 0) throw new ProtocolError('UNSUBSCRIBE without topic filters'); // [MQTT-3.10.3-2]
  while (r.remaining > 0) r.utf8('topic filter');
}

function walkConnack(r: WireReader, version: ProtocolVersion): void {
  const flags = r.u8('connack flags');
  if ((flags & 0xfe) !== 0) throw new MalformedPacketError('CONNACK reserved flags set'); // [MQTT-3.2.2-1]
  r.u8('connect reason code');
  if (version === 5) walkProperties(r, PacketType.Connack);
  r.expectEnd('CONNACK');
}

function walkSubOrUnsubAck(r: WireReader, type: PacketType, version: ProtocolVersion): void {
  packetId(r);
  if (version === 5) walkProperties(r, type);
  // SUBACK always, and 5.0 UNSUBACK, list one reason code per filter; 3.1.1 UNSUBACK has none.
  const hasCodes = type === PacketType.Suback || version === 5;
  if (hasCodes && r.remaining === 0) throw new ProtocolError('acknowledgement without reason codes');
  if (!hasCodes) r.expectEnd('UNSUBACK');
}

/** DISCONNECT and AUTH: empty in 3.1.1; in 5.0 an optional reason code then optional properties. */
function walkReasonAndProperties(r: WireReader, type: PacketType, version: ProtocolVersion): void {
  if (version === 5) {
    if (r.remaining > 0) r.u8('reason code');
    if (r.remaining > 0) walkProperties(r, type);
  }
  r.expectEnd(type === PacketType.Auth ? 'AUTH' : 'DISCONNECT');
}
