import { MalformedPacketError, UnsupportedProtocolVersionError } from './errors.js';
import { PacketType } from './fixed-header.js';
import type { ProtocolVersion } from './packet.js';
import { WILL_PROPERTIES, walkProperties } from './properties.js';
import type { WireReader } from './wire-reader.js';

const USERNAME = 0x80;
const PASSWORD = 0x40;
const WILL_RETAIN = 0x20;
const WILL_QOS = 0x18;
const WILL = 0x04;
const RESERVED = 0x01;
/** mqtt-packet's "bridge mode": the high bit of the protocol level marks a bridge (mosquitto). */
const BRIDGE_BIT = 0x80;

/**
 * Checks the rest of a CONNECT body, after `readProtocol` (its layout depends on the version).
 */
export function walkConnect(r: WireReader, version: ProtocolVersion): void {
  const flags = r.u8('connect flags');
  checkConnectFlags(flags, version);
  r.u16('keep alive');
  if (version === 5) walkProperties(r, PacketType.Connect);
  r.utf8('client identifier');
  if ((flags & WILL) !== 0) {
    if (version === 5) walkProperties(r, WILL_PROPERTIES);
    r.utf8('will topic');
    r.binary('will payload');
  }
  if ((flags & USERNAME) !== 0) r.utf8('user name');
  if ((flags & PASSWORD) !== 0) r.binary('password');
  r.expectEnd('CONNECT');
}

/**
 * Reads the protocol name and level at the start of a CONNECT body: "MQTT" with level 4 or 5, or
 * "MQIsdp" with level 3 (MQTT 3.1) [MQTT-3.1.2-1]. Anything else is UnsupportedProtocolVersionError
 * carrying the level, so the channel can answer CONNACK 0x01 / 0x84 before closing [MQTT-3.1.2-2].
 */
export function readProtocol(r: WireReader): ProtocolVersion {
  const isMqtt = r.peekString('MQTT');
  const isMqIsdp = !isMqtt && r.peekString('MQIsdp');
  r.utf8('protocol name');
  if (!isMqtt && !isMqIsdp) {
    const level = r.remaining > 0 ? r.buf[r.pos] : undefined;
    throw new UnsupportedProtocolVersionError('unknown protocol name', level);
  }
  const level = r.u8('protocol level');
  const version = level & ~BRIDGE_BIT;
  if (isMqtt ? version === 4 || version === 5 : version === 3) return version as ProtocolVersion;
  throw new UnsupportedProtocolVersionError(`unsupported protocol level ${level}`, level);
}

function checkConnectFlags(flags: number, version: ProtocolVersion): void {
  if ((flags & RESERVED) !== 0) throw new MalformedPacketError('CONNECT reserved flag is set'); // [MQTT-3.1.2-3]
  const willQos = (flags & WILL_QOS) >> 3;
  if ((flags & WILL) === 0) {
    // [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15]
    if (willQos !== 0) throw new MalformedPacketError('Will QoS set without the Will Flag');
    if ((flags & WILL_RETAIN) !== 0) throw new MalformedPacketError('Will Retain set without the Will Flag');
  } else if (willQos === 3) {
    throw new MalformedPacketError('Will QoS 3'); // 3.1.1 [MQTT-3.1.2-14], 5.0 [MQTT-3.1.2-12]
  }
  // 3.1.1 only: MQTT 5 allows a password without a user name [MQTT-3.1.2-22].
  if (version < 5 && (flags & PASSWORD) !== 0 && (flags & USERNAME) === 0) {
    throw new MalformedPacketError('Password Flag set without the User Name Flag');
  }
}
