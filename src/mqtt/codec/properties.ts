import { MalformedPacketError, ProtocolError } from './errors.js';
import { PacketType } from './fixed-header.js';
import type { UserProperties } from './packet.js';
import { WireReader } from './wire-reader.js';

/** Where a property section sits: a packet type, or the Will Properties of a CONNECT. */
export const WILL_PROPERTIES = 16;
export type PropertyContext = PacketType | typeof WILL_PROPERTIES;

type Kind = 'bool' | 'u16' | 'u32' | 'varint' | 'utf8' | 'binary' | 'pair';

interface PropertySpec {
  readonly name: string;
  readonly kind: Kind;
  /** Bit mask of the contexts this property may appear in (bit n = context n). */
  readonly where: number;
  /** Contexts in which it may repeat; everywhere else a repeat is a Protocol Error. */
  readonly repeatable?: number;
  /** A value of 0 is a Protocol Error (Receive Maximum, Maximum Packet Size, Subscription Identifier). */
  readonly nonZero?: boolean;
  /** A distinct bit per property (27 of them), to track repeats in one integer. */
  readonly bit: number;
}

const bits = (...contexts: PropertyContext[]): number => contexts.reduce((mask, c) => mask | (1 << c), 0);
const T = PacketType;
const W = WILL_PROPERTIES;
const ACKS = bits(T.Puback, T.Pubrec, T.Pubrel, T.Pubcomp, T.Suback, T.Unsuback);
const EVERYWHERE =
  bits(T.Connect, T.Connack, T.Publish, T.Subscribe, T.Unsubscribe, T.Disconnect, T.Auth, W) | ACKS;

/** MQTT 5.0 §2.2.2.2, indexed by property identifier. */
const SPECS: ReadonlyArray<PropertySpec | undefined> = (() => {
  const table: Array<PropertySpec | undefined> = [];
  let index = 0;
  const def = (id: number, spec: Omit<PropertySpec, 'bit'>): void => {
    table[id] = { ...spec, bit: 1 << index++ };
  };
  def(0x01, { name: 'Payload Format Indicator', kind: 'bool', where: bits(T.Publish, W) });
  def(0x02, { name: 'Message Expiry Interval', kind: 'u32', where: bits(T.Publish, W) });
  def(0x03, { name: 'Content Type', kind: 'utf8', where: bits(T.Publish, W) });
  def(0x08, { name: 'Response Topic', kind: 'utf8', where: bits(T.Publish, W) });
  def(0x09, { name: 'Correlation Data', kind: 'binary', where: bits(T.Publish, W) });
  def(0x0b, {
    name: 'Subscription Identifier',
    kind: 'varint',
    where: bits(T.Publish, T.Subscribe),
    repeatable: bits(T.Publish), // one per matching subscription [MQTT-3.3.4-3]
    nonZero: true,
  });
  def(0x11, {
    name: 'Session Expiry Interval',
    kind: 'u32',
    where: bits(T.Connect, T.Connack, T.Disconnect),
  });
  def(0x12, { name: 'Assigned Client Identifier', kind: 'utf8', where: bits(T.Connack) });
  def(0x13, { name: 'Server Keep Alive', kind: 'u16', where: bits(T.Connack) });
  def(0x15, { name: 'Authentication Method', kind: 'utf8', where: bits(T.Connect, T.Connack, T.Auth) });
  def(0x16, { name: 'Authentication Data', kind: 'binary', where: bits(T.Connect, T.Connack, T.Auth) });
  def(0x17, { name: 'Request Problem Information', kind: 'bool', where: bits(T.Connect) });
  def(0x18, { name: 'Will Delay Interval', kind: 'u32', where: bits(W) });
  def(0x19, { name: 'Request Response Information', kind: 'bool', where: bits(T.Connect) });
  def(0x1a, { name: 'Response Information', kind: 'utf8', where: bits(T.Connack) });
  def(0x1c, { name: 'Server Reference', kind: 'utf8', where: bits(T.Connack, T.Disconnect) });
  def(0x1f, { name: 'Reason String', kind: 'utf8', where: ACKS | bits(T.Connack, T.Disconnect, T.Auth) });
  def(0x21, { name: 'Receive Maximum', kind: 'u16', where: bits(T.Connect, T.Connack), nonZero: true });
  def(0x22, { name: 'Topic Alias Maximum', kind: 'u16', where: bits(T.Connect, T.Connack) });
  def(0x23, { name: 'Topic Alias', kind: 'u16', where: bits(T.Publish) }); // 0 is checked by the channel (0x94)
  def(0x24, { name: 'Maximum QoS', kind: 'bool', where: bits(T.Connack) });
  def(0x25, { name: 'Retain Available', kind: 'bool', where: bits(T.Connack) });
  def(0x26, { name: 'User Property', kind: 'pair', where: EVERYWHERE, repeatable: EVERYWHERE });
  def(0x27, { name: 'Maximum Packet Size', kind: 'u32', where: bits(T.Connect, T.Connack), nonZero: true });
  def(0x28, { name: 'Wildcard Subscription Available', kind: 'bool', where: bits(T.Connack) });
  def(0x29, { name: 'Subscription Identifier Available', kind: 'bool', where: bits(T.Connack) });
  def(0x2a, { name: 'Shared Subscription Available', kind: 'bool', where: bits(T.Connack) });
  return table;
})();

const USER_PROPERTY = 0x26;
const AUTH_METHOD = SPECS[0x15]!.bit;
const AUTH_DATA = SPECS[0x16]!.bit;

/**
 * Checks a property section (length + properties) and skips it. An unknown identifier, or one not
 * allowed in this packet, is a Malformed Packet (MQTT 5.0 §2.2.2.2); a repeat of a single-use
 * property or an out-of-range value is a Protocol Error (each property's own rule in §3).
 */
export function walkProperties(r: WireReader, context: PropertyContext): void {
  const sectionStart = r.pos;
  const length = r.varint('property length');
  if (length > r.remaining) throw new MalformedPacketError('property length exceeds the packet');
  const end = r.pos + length;
  let seen = 0;
  let pairs = 0;
  let emptyValue = false;
  while (r.pos < end) {
    // A Variable Byte Integer in the spec, but every defined identifier fits in one byte.
    const id = r.u8('property identifier');
    const spec = SPECS[id];
    if (spec === undefined) {
      throw new MalformedPacketError(`unknown property identifier 0x${id.toString(16)}`);
    }
    if ((spec.where & (1 << context)) === 0) {
      throw new MalformedPacketError(`property ${spec.name} is not allowed in this packet`);
    }
    if ((seen & spec.bit) !== 0 && ((spec.repeatable ?? 0) & (1 << context)) === 0) {
      throw new ProtocolError(`property ${spec.name} included more than once`);
    }
    seen |= spec.bit;
    if (id === USER_PROPERTY) {
      r.utf8('User Property name');
      emptyValue = r.utf8('User Property value') === 0 || emptyValue;
      pairs++;
    } else {
      readValue(r, spec);
    }
    if (r.pos > end) throw new MalformedPacketError(`property ${spec.name} overruns the property length`);
  }
  // "It is a Protocol Error to include Authentication Data if there is no Authentication Method".
  if ((seen & AUTH_DATA) !== 0 && (seen & AUTH_METHOD) === 0) {
    throw new ProtocolError('Authentication Data without Authentication Method');
  }
  if (emptyValue && pairs > 1) {
    r.userPropertyFixes ??= [];
    r.userPropertyFixes.push(context, sectionStart);
  }
}

/**
 * Re-reads the User Properties of an already checked property section at `offset`. mqtt-packet
 * merges repeated names by truthiness, so a repeat after an empty value overwrites it instead of
 * forming an array; the decoder swaps in this result in that (rare) case.
 */
export function collectUserProperties(buf: Buffer, offset: number): UserProperties {
  const r = new WireReader(buf, offset, buf.length);
  const end = r.varint('property length') + r.pos;
  const out: Record<string, string | string[]> = Object.create(null);
  while (r.pos < end) {
    const id = r.u8('property identifier');
    if (id !== USER_PROPERTY) {
      readValue(r, SPECS[id]!);
      continue;
    }
    const name = r.readString('User Property name');
    const value = r.readString('User Property value');
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = [previous, value];
  }
  return out;
}

function readValue(r: WireReader, spec: PropertySpec): void {
  let value = 1;
  switch (spec.kind) {
    case 'bool':
      value = r.u8(spec.name);
      if (value > 1) throw new ProtocolError(`property ${spec.name} must be 0 or 1, got ${value}`);
      return;
    case 'u16':
      value = r.u16(spec.name);
      break;
    case 'u32':
      value = r.u32(spec.name);
      break;
    case 'varint':
      value = r.varint(spec.name);
      break;
    case 'utf8':
      r.utf8(spec.name);
      return;
    case 'binary':
      r.binary(spec.name);
      return;
    case 'pair':
      r.utf8(`${spec.name} name`);
      r.utf8(`${spec.name} value`);
      return;
  }
  if (spec.nonZero === true && value === 0) throw new ProtocolError(`property ${spec.name} must not be 0`);
}
