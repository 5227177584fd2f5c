import type { BrokerMessage, MessageProperties } from '../broker/message.js';
import type { QoS, UserProperties } from '../mqtt/codec/packet.js';
import { EnvelopeDecodeError } from './envelope-bytes.js';
import type { ClusterEnvelope, Route } from './types.js';

/**
 * Format 1 of the bytes between nodes, read so that a node reads what a node of the previous
 * version sent or kept (inbox entries, wills in the ownership table); nothing writes it now:
 *
 *   [u8 format = 1][u32be header length][header: UTF-8 JSON][correlation data][payload]
 *
 * The header has short keys; it says how long the correlation data is, the payload is the rest.
 */
export const JSON_FORMAT = 1;
const PREFIX_BYTES = 5;

/** A will written in format 1; throws EnvelopeDecodeError for anything else. */
export function decodeJsonMessageFrame(buf: Buffer): BrokerMessage {
  const { header, headerEnd } = readHeader(buf);
  if (header.t !== 'message')
    throw new EnvelopeDecodeError(`not a message frame: ${JSON.stringify(header.t)}`);
  return decodeMessage(header.m, buf, headerEnd);
}

function readHeader(buf: Buffer): { header: Record<string, unknown>; headerEnd: number } {
  if (buf.length < PREFIX_BYTES)
    throw new EnvelopeDecodeError(`envelope of ${buf.length} bytes is truncated`);
  const format = buf.readUInt8(0);
  if (format !== JSON_FORMAT) throw new EnvelopeDecodeError(`unknown envelope format ${format}`);
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

/** An envelope in format 1; throws EnvelopeDecodeError for anything else. */
export function decodeJsonEnvelope(buf: Buffer): ClusterEnvelope {
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
