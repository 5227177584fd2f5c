import type { BrokerMessage, MessageProperties } from '../broker/message.js';
import type { QoS, UserProperties } from '../mqtt/codec/packet.js';
import type { ClusterEnvelope, Route } from './types.js';

/**
 * The bytes of one ClusterEnvelope between nodes:
 *
 *   [u8 format = 1][u32be header length][header: UTF-8 JSON][correlation data][payload]
 *
 * The header holds everything but the two binary fields, which follow raw (no base64 on the
 * per-message path); the header says how long the correlation data is, the payload is the rest.
 * `onAcknowledged` is a local callback and never leaves the process.
 */
const FORMAT = 1;
const PREFIX_BYTES = 5;

/** Bytes that are not an envelope of this format: garbled, truncated or from elsewhere. */
export class EnvelopeDecodeError extends Error {
  readonly code = 'CLUSTER_ENVELOPE_MALFORMED';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvelopeDecodeError';
  }
}

/** The message fields in the header, with short keys: the header is written per message. */
interface MessageHeader {
  tp: string;
  q: QoS;
  r: boolean;
  c: number;
  e?: number;
  p?: string;
  /** Properties without correlationData. */
  pr?: Omit<MessageProperties, 'correlationData'>;
  /** Length of the correlation data that follows the header. */
  cd?: number;
}

type Header =
  | { t: 'publish'; m: MessageHeader; d: boolean; g?: readonly Route[] }
  | { t: 'deliver'; m: MessageHeader; s: string }
  | { t: 'retained'; m: MessageHeader }
  | { t: 'kick' | 'released' | 'moved'; s: string; ep: number; f: string }
  | { t: 'relay'; m: MessageHeader; s: string; ep: number; si?: readonly number[] }
  | { t: 'ping'; m: MessageHeader; s: string; i: number; f: string }
  | { t: 'pong'; i: number; r?: number; f: string }
  | { t: 'message'; m: MessageHeader };

export function encodeEnvelope(envelope: ClusterEnvelope): Buffer {
  switch (envelope.type) {
    case 'publish': {
      const header: Header = { t: 'publish', m: messageHeader(envelope.message), d: envelope.direct };
      if (envelope.groups !== undefined) header.g = envelope.groups;
      return frame(header, envelope.message);
    }
    case 'deliver':
      return frame(
        { t: 'deliver', m: messageHeader(envelope.message), s: envelope.sessionKey },
        envelope.message,
      );
    case 'kick':
    case 'released':
    case 'moved':
      return frame({ t: envelope.type, s: envelope.sessionKey, ep: envelope.epoch, f: envelope.from });
    case 'relay': {
      const { sessionKey: s, epoch: ep, message, subscriptionIds } = envelope;
      const header: Header = { t: 'relay', m: messageHeader(message), s, ep };
      if (subscriptionIds !== undefined) header.si = subscriptionIds;
      return frame(header, message);
    }
    case 'retained':
      return frame({ t: 'retained', m: messageHeader(envelope.message) }, envelope.message);
    case 'ping': {
      const { sessionKey: s, id: i, from: f, message } = envelope;
      return frame({ t: 'ping', m: messageHeader(message), s, i, f }, message);
    }
    case 'pong':
      return frame(
        envelope.rttMs === undefined
          ? { t: 'pong', i: envelope.id, f: envelope.from }
          : { t: 'pong', i: envelope.id, r: envelope.rttMs, f: envelope.from },
      );
  }
}

function messageHeader(message: BrokerMessage): MessageHeader {
  const header: MessageHeader = {
    tp: message.topic,
    q: message.qos,
    r: message.retain,
    c: message.createdAt,
  };
  if (message.expiresAt !== undefined) header.e = message.expiresAt;
  if (message.publisherId !== undefined) header.p = message.publisherId;
  const properties = message.properties;
  // Most messages have no properties: no copy then; otherwise all but the one binary field.
  if (properties.correlationData !== undefined) header.cd = properties.correlationData.length;
  if (hasTextProperties(properties)) header.pr = withoutCorrelationData(properties);
  return header;
}

function hasTextProperties(properties: MessageProperties): boolean {
  return (
    properties.payloadFormatIndicator !== undefined ||
    properties.contentType !== undefined ||
    properties.responseTopic !== undefined ||
    properties.userProperties !== undefined
  );
}

function withoutCorrelationData(properties: MessageProperties): Omit<MessageProperties, 'correlationData'> {
  const { correlationData: _binary, ...text } = properties;
  return text;
}

function frame(header: Header, message?: BrokerMessage): Buffer {
  const json = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(json);
  const correlation = message?.properties.correlationData;
  const total = PREFIX_BYTES + headerBytes + (correlation?.length ?? 0) + (message?.payload.length ?? 0);
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt8(FORMAT, 0);
  buf.writeUInt32BE(headerBytes, 1);
  let offset = PREFIX_BYTES + buf.write(json, PREFIX_BYTES, 'utf8');
  if (correlation !== undefined) offset += correlation.copy(buf, offset);
  if (message !== undefined) message.payload.copy(buf, offset);
  return buf;
}

/** A message alone, in the envelope's frame: a will kept in the cluster's ownership table. */
export function encodeMessage(message: BrokerMessage): Buffer {
  return frame({ t: 'message', m: messageHeader(message) }, message);
}

/** Throws EnvelopeDecodeError for anything but what encodeMessage produced. */
export function decodeMessageFrame(buf: Buffer): BrokerMessage {
  const { header, headerEnd } = readHeader(buf);
  if (header.t !== 'message')
    throw new EnvelopeDecodeError(`not a message frame: ${JSON.stringify(header.t)}`);
  return decodeMessage(header.m, buf, headerEnd);
}

function readHeader(buf: Buffer): { header: Record<string, unknown>; headerEnd: number } {
  if (buf.length < PREFIX_BYTES)
    throw new EnvelopeDecodeError(`envelope of ${buf.length} bytes is truncated`);
  const format = buf.readUInt8(0);
  if (format !== FORMAT) throw new EnvelopeDecodeError(`unknown envelope format ${format}`);
  const headerEnd = PREFIX_BYTES + buf.readUInt32BE(1);
  if (headerEnd > buf.length) throw new EnvelopeDecodeError('envelope header runs past the end');
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, headerEnd));
  } catch (error) {
    throw new EnvelopeDecodeError('envelope header is not JSON', { cause: error });
  }
  if (!isRecord(header)) throw new EnvelopeDecodeError('envelope header is not an object');
  return { header, headerEnd };
}

/** Throws EnvelopeDecodeError for anything but an envelope encodeEnvelope produced. */
export function decodeEnvelope(buf: Buffer): ClusterEnvelope {
  const { header, headerEnd } = readHeader(buf);
  switch (header.t) {
    case 'publish': {
      const direct = field(header, 'd', isBoolean, 'boolean');
      const groups = optional(header, 'g', isRouteList, 'route list')?.map(copyRoute);
      const message = decodeMessage(header.m, buf, headerEnd);
      return groups === undefined
        ? { type: 'publish', message, direct }
        : { type: 'publish', message, direct, groups };
    }
    case 'deliver': {
      const sessionKey = field(header, 's', isString, 'string');
      return { type: 'deliver', sessionKey, message: decodeMessage(header.m, buf, headerEnd) };
    }
    case 'retained':
      return { type: 'retained', message: decodeMessage(header.m, buf, headerEnd) };
    case 'relay': {
      const sessionKey = field(header, 's', isString, 'string');
      const epoch = field(header, 'ep', isNumber, 'number');
      const subscriptionIds = optional(header, 'si', isNumberList, 'number list');
      const message = decodeMessage(header.m, buf, headerEnd);
      return subscriptionIds === undefined
        ? { type: 'relay', sessionKey, epoch, message }
        : { type: 'relay', sessionKey, epoch, message, subscriptionIds: [...subscriptionIds] };
    }
    case 'kick':
    case 'released':
    case 'moved': {
      if (headerEnd !== buf.length) throw new EnvelopeDecodeError(`${header.t} envelope has trailing bytes`);
      const sessionKey = field(header, 's', isString, 'string');
      const epoch = field(header, 'ep', isNumber, 'number');
      return { type: header.t, sessionKey, epoch, from: field(header, 'f', isString, 'string') };
    }
    case 'ping': {
      const sessionKey = field(header, 's', isString, 'string');
      const id = field(header, 'i', isNumber, 'number');
      const from = field(header, 'f', isString, 'string');
      return { type: 'ping', sessionKey, id, from, message: decodeMessage(header.m, buf, headerEnd) };
    }
    case 'pong': {
      if (headerEnd !== buf.length) throw new EnvelopeDecodeError('pong envelope has trailing bytes');
      const id = field(header, 'i', isNumber, 'number');
      const from = field(header, 'f', isString, 'string');
      const rttMs = optional(header, 'r', isNumber, 'number');
      return rttMs === undefined ? { type: 'pong', id, from } : { type: 'pong', id, rttMs, from };
    }
    default:
      throw new EnvelopeDecodeError(`unknown envelope type ${JSON.stringify(header.t)}`);
  }
}

function decodeMessage(value: unknown, buf: Buffer, bodyStart: number): BrokerMessage {
  if (!isRecord(value)) throw new EnvelopeDecodeError('envelope message is not an object');
  const properties = decodeProperties(value.pr);
  const correlationLength = optional(value, 'cd', isLength, 'length') ?? 0;
  const payloadStart = bodyStart + correlationLength;
  if (payloadStart > buf.length) throw new EnvelopeDecodeError('correlation data runs past the end');
  // Copies: the entry's buffer may be a slice of a large socket read the message must not pin.
  if (value.cd !== undefined) properties.correlationData = Buffer.from(buf.subarray(bodyStart, payloadStart));
  const message: { -readonly [K in keyof BrokerMessage]: BrokerMessage[K] } = {
    topic: field(value, 'tp', isString, 'string'),
    payload: Buffer.from(buf.subarray(payloadStart)),
    qos: field(value, 'q', isQoS, 'QoS'),
    retain: field(value, 'r', isBoolean, 'boolean'),
    properties,
    createdAt: field(value, 'c', isNumber, 'number'),
  };
  const expiresAt = optional(value, 'e', isNumber, 'number');
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  const publisherId = optional(value, 'p', isString, 'string');
  if (publisherId !== undefined) message.publisherId = publisherId;
  return message;
}

function decodeProperties(value: unknown): MessageProperties {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new EnvelopeDecodeError('message properties are not an object');
  const properties: MessageProperties = {};
  const format = optional(value, 'payloadFormatIndicator', isBoolean, 'boolean');
  if (format !== undefined) properties.payloadFormatIndicator = format;
  const contentType = optional(value, 'contentType', isString, 'string');
  if (contentType !== undefined) properties.contentType = contentType;
  const responseTopic = optional(value, 'responseTopic', isString, 'string');
  if (responseTopic !== undefined) properties.responseTopic = responseTopic;
  const userProperties = optional(value, 'userProperties', isUserProperties, 'user properties');
  if (userProperties !== undefined) properties.userProperties = userProperties;
  return properties;
}

function field<T>(record: Record<string, unknown>, key: string, is: (v: unknown) => v is T, what: string): T {
  const value = record[key];
  if (!is(value)) throw new EnvelopeDecodeError(`envelope field ${key} is not a ${what}`);
  return value;
}

function optional<T>(
  record: Record<string, unknown>,
  key: string,
  is: (v: unknown) => v is T,
  what: string,
): T | undefined {
  return record[key] === undefined ? undefined : field(record, key, is, what);
}

/** Only the fields a Route has, whatever else the header carried. */
function copyRoute(route: Route): Route {
  return route.share === undefined ? { filter: route.filter } : { filter: route.filter, share: route.share };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

function isNumber(value: unknown): value is number {
  return Number.isFinite(value);
}

function isQoS(value: unknown): value is QoS {
  return value === 0 || value === 1 || value === 2;
}

function isLength(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isNumber);
}

function isRouteList(value: unknown): value is Route[] {
  return (
    Array.isArray(value) &&
    value.every(
      (route) =>
        isRecord(route) && isString(route.filter) && (route.share === undefined || isString(route.share)),
    )
  );
}

function isUserProperties(value: unknown): value is UserProperties {
  return (
    isRecord(value) &&
    Object.values(value).every((v) => isString(v) || (Array.isArray(v) && v.every(isString)))
  );
}
