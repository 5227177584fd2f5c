import type { BrokerMessage, MessageProperties } from '../broker/message.js';
import type { QoS, UserProperties } from '../mqtt/codec/packet.js';
import { ByteReader, ByteWriter, EnvelopeDecodeError } from './envelope-bytes.js';
import { decodeJsonEnvelope, decodeJsonMessageFrame, JSON_FORMAT } from './envelope-json-decoder.js';
import type { ClusterEnvelope, Route } from './types.js';

export { EnvelopeDecodeError } from './envelope-bytes.js';

type PublishEnvelope = Extract<ClusterEnvelope, { type: 'publish' }>;
type RelayEnvelope = Extract<ClusterEnvelope, { type: 'relay' }>;

/**
 * The bytes of one ClusterEnvelope between nodes (format 2), every integer big-endian:
 *
 *   [u8 format = 2][u8 type][the type's fields][message fields, if it carries one][payload]
 *
 * A string is [u32 byte length][UTF-8], a number an f64, correlation data [u32 length][bytes];
 * the payload runs to the end, raw. Binary because the cluster writes and reads one per message
 * per hop: the JSON header of format 1 (still read, envelope-json-decoder.ts) was the largest
 * per-message cost of a cross-node hop. `onAcknowledged` is a local callback and never leaves
 * the process.
 */
const FORMAT = 2;

const TYPE_CODES = {
  publish: 1,
  deliver: 2,
  retained: 3,
  kick: 4,
  released: 5,
  moved: 6,
  relay: 7,
  ping: 8,
  pong: 9,
  message: 10,
} as const;

/** Message flags: bits 0–1 are the QoS. */
const RETAIN = 1 << 2;
const EXPIRES = 1 << 3;
const PUBLISHER = 1 << 4;
const CORRELATION = 1 << 5;
const TEXT_PROPERTIES = 1 << 6;
const MESSAGE_FLAGS = 0x7f;

/** Text property flags. */
const FORMAT_INDICATOR = 1 << 0;
const FORMAT_IS_UTF8 = 1 << 1;
const CONTENT_TYPE = 1 << 2;
const RESPONSE_TOPIC = 1 << 3;
const USER_PROPERTIES = 1 << 4;
const PROPERTY_FLAGS = 0x1f;

/** Publish flags. */
const DIRECT = 1 << 0;
const GROUPS = 1 << 1;
const SEQ = 1 << 2;

/** Relay flags (a presence byte before the origin was added: bit 0 is still the ids). */
const SUBSCRIPTION_IDS = 1 << 0;
const ORIGIN = 1 << 1;

const writer = new ByteWriter();

export function encodeEnvelope(envelope: ClusterEnvelope): Buffer {
  const w = writer.reset().u8(FORMAT).u8(TYPE_CODES[envelope.type]);
  switch (envelope.type) {
    case 'publish': {
      const { groups, seq } = envelope;
      w.u8(
        (envelope.direct ? DIRECT : 0) | (groups === undefined ? 0 : GROUPS) | (seq === undefined ? 0 : SEQ),
      );
      if (groups !== undefined) writeRoutes(w, groups);
      if (seq !== undefined) w.f64(seq);
      return withMessage(w, envelope.message);
    }
    case 'deliver':
      return withMessage(w.str(envelope.sessionKey), envelope.message);
    case 'retained':
      return withMessage(w, envelope.message);
    case 'kick':
    case 'released':
    case 'moved':
      return w.str(envelope.sessionKey).f64(envelope.epoch).str(envelope.from).finish();
    case 'relay': {
      const { subscriptionIds, origin } = envelope;
      w.str(envelope.sessionKey)
        .f64(envelope.epoch)
        .u8((subscriptionIds === undefined ? 0 : SUBSCRIPTION_IDS) | (origin === undefined ? 0 : ORIGIN));
      if (subscriptionIds !== undefined) {
        w.u32(subscriptionIds.length);
        for (const id of subscriptionIds) w.f64(id);
      }
      if (origin !== undefined) w.str(origin.node).f64(origin.seq);
      return withMessage(w, envelope.message);
    }
    case 'ping':
      return withMessage(w.str(envelope.sessionKey).f64(envelope.id).str(envelope.from), envelope.message);
    case 'pong':
      w.f64(envelope.id).u8(envelope.rttMs === undefined ? 0 : 1);
      if (envelope.rttMs !== undefined) w.f64(envelope.rttMs);
      return w.str(envelope.from).finish();
  }
}

/** A message alone, in the envelope's frame: a will kept in the cluster's ownership table. */
export function encodeMessage(message: BrokerMessage): Buffer {
  return withMessage(writer.reset().u8(FORMAT).u8(TYPE_CODES.message), message);
}

/** Throws EnvelopeDecodeError for anything but an envelope encodeEnvelope (or format 1) produced. */
export function decodeEnvelope(buf: Buffer): ClusterEnvelope {
  if (buf.length >= 1 && buf[0] === JSON_FORMAT) return decodeJsonEnvelope(buf);
  const r = new ByteReader(buf, 0);
  if (r.u8('format') !== FORMAT) throw new EnvelopeDecodeError(`unknown envelope format ${buf[0]}`);
  const type = r.u8('type');
  switch (type) {
    case TYPE_CODES.publish: {
      const flags = r.u8('publish flags');
      if (flags > (DIRECT | GROUPS | SEQ)) throw new EnvelopeDecodeError(`unknown publish flags ${flags}`);
      const direct = (flags & DIRECT) !== 0;
      const groups = (flags & GROUPS) === 0 ? undefined : readRoutes(r);
      const seq = (flags & SEQ) === 0 ? undefined : r.f64('seq');
      const envelope: { -readonly [K in keyof PublishEnvelope]: PublishEnvelope[K] } = {
        type: 'publish',
        direct,
        message: readMessage(r),
      };
      if (groups !== undefined) envelope.groups = groups;
      if (seq !== undefined) envelope.seq = seq;
      return envelope;
    }
    case TYPE_CODES.deliver: {
      const sessionKey = r.str('session key');
      return { type: 'deliver', sessionKey, message: readMessage(r) };
    }
    case TYPE_CODES.retained:
      return { type: 'retained', message: readMessage(r) };
    case TYPE_CODES.kick:
    case TYPE_CODES.released:
    case TYPE_CODES.moved: {
      const kind: 'kick' | 'released' | 'moved' =
        type === TYPE_CODES.kick ? 'kick' : type === TYPE_CODES.released ? 'released' : 'moved';
      const envelope = {
        type: kind,
        sessionKey: r.str('session key'),
        epoch: r.f64('epoch'),
        from: r.str('from'),
      };
      return ended(r, kind, envelope);
    }
    case TYPE_CODES.relay:
      return readRelay(r);
    case TYPE_CODES.ping: {
      const sessionKey = r.str('session key');
      const id = r.f64('ping id');
      const from = r.str('from');
      return { type: 'ping', sessionKey, id, from, message: readMessage(r) };
    }
    case TYPE_CODES.pong: {
      const id = r.f64('pong id');
      const rttMs = readPresence(r, 'round trip') ? r.f64('round trip') : undefined;
      const from = r.str('from');
      return ended(
        r,
        'pong',
        rttMs === undefined ? { type: 'pong', id, from } : { type: 'pong', id, rttMs, from },
      );
    }
    default:
      throw new EnvelopeDecodeError(`unknown envelope type ${type}`);
  }
}

/** Throws EnvelopeDecodeError for anything but what encodeMessage (or format 1) produced. */
export function decodeMessageFrame(buf: Buffer): BrokerMessage {
  if (buf.length >= 1 && buf[0] === JSON_FORMAT) return decodeJsonMessageFrame(buf);
  const r = new ByteReader(buf, 0);
  if (r.u8('format') !== FORMAT) throw new EnvelopeDecodeError(`unknown envelope format ${buf[0]}`);
  const type = r.u8('type');
  if (type !== TYPE_CODES.message) throw new EnvelopeDecodeError(`not a message frame: type ${type}`);
  return readMessage(r);
}

function withMessage(w: ByteWriter, message: BrokerMessage): Buffer {
  const { properties } = message;
  const correlation = properties.correlationData;
  const text = hasTextProperties(properties);
  w.u8(
    message.qos |
      (message.retain ? RETAIN : 0) |
      (message.expiresAt === undefined ? 0 : EXPIRES) |
      (message.publisherId === undefined ? 0 : PUBLISHER) |
      (correlation === undefined ? 0 : CORRELATION) |
      (text ? TEXT_PROPERTIES : 0),
  );
  w.f64(message.createdAt);
  if (message.expiresAt !== undefined) w.f64(message.expiresAt);
  w.str(message.topic);
  if (message.publisherId !== undefined) w.str(message.publisherId);
  if (correlation !== undefined) w.bytes(correlation);
  if (text) writeTextProperties(w, properties);
  return w.finish(message.payload);
}

function readMessage(r: ByteReader): BrokerMessage {
  const flags = r.u8('message flags');
  const qos = flags & 3;
  if (qos === 3 || flags > MESSAGE_FLAGS) throw new EnvelopeDecodeError(`unknown message flags ${flags}`);
  const createdAt = r.f64('createdAt');
  const expiresAt = (flags & EXPIRES) === 0 ? undefined : r.f64('expiresAt');
  const topic = r.str('topic');
  const publisherId = (flags & PUBLISHER) === 0 ? undefined : r.str('publisherId');
  const correlationData = (flags & CORRELATION) === 0 ? undefined : r.bytes('correlation data');
  const properties = (flags & TEXT_PROPERTIES) === 0 ? {} : readTextProperties(r);
  if (correlationData !== undefined) properties.correlationData = correlationData;
  const message: { -readonly [K in keyof BrokerMessage]: BrokerMessage[K] } = {
    topic,
    payload: r.rest(),
    qos: qos as QoS,
    retain: (flags & RETAIN) !== 0,
    properties,
    createdAt,
  };
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  if (publisherId !== undefined) message.publisherId = publisherId;
  return message;
}

function hasTextProperties(properties: MessageProperties): boolean {
  return (
    properties.payloadFormatIndicator !== undefined ||
    properties.contentType !== undefined ||
    properties.responseTopic !== undefined ||
    properties.userProperties !== undefined
  );
}

function writeTextProperties(w: ByteWriter, properties: MessageProperties): void {
  const { payloadFormatIndicator: format, contentType, responseTopic, userProperties } = properties;
  w.u8(
    (format === undefined ? 0 : FORMAT_INDICATOR | (format ? FORMAT_IS_UTF8 : 0)) |
      (contentType === undefined ? 0 : CONTENT_TYPE) |
      (responseTopic === undefined ? 0 : RESPONSE_TOPIC) |
      (userProperties === undefined ? 0 : USER_PROPERTIES),
  );
  if (contentType !== undefined) w.str(contentType);
  if (responseTopic !== undefined) w.str(responseTopic);
  if (userProperties === undefined) return;
  const keys = Object.keys(userProperties);
  w.u32(keys.length);
  for (const key of keys) {
    const value = userProperties[key] as string | string[];
    w.str(key);
    // A repeated key is a list, a single one a string: [u8 0][value] or [u8 1][u32 n][values].
    if (typeof value === 'string') {
      w.u8(0).str(value);
      continue;
    }
    w.u8(1).u32(value.length);
    for (const one of value) w.str(one);
  }
}

function readTextProperties(r: ByteReader): MessageProperties {
  const flags = r.u8('property flags');
  if (flags > PROPERTY_FLAGS || (flags & (FORMAT_INDICATOR | FORMAT_IS_UTF8)) === FORMAT_IS_UTF8)
    throw new EnvelopeDecodeError(`unknown property flags ${flags}`);
  const properties: MessageProperties = {};
  if ((flags & FORMAT_INDICATOR) !== 0) properties.payloadFormatIndicator = (flags & FORMAT_IS_UTF8) !== 0;
  if ((flags & CONTENT_TYPE) !== 0) properties.contentType = r.str('contentType');
  if ((flags & RESPONSE_TOPIC) !== 0) properties.responseTopic = r.str('responseTopic');
  if ((flags & USER_PROPERTIES) !== 0) properties.userProperties = readUserProperties(r);
  return properties;
}

function readUserProperties(r: ByteReader): UserProperties {
  const userProperties: UserProperties = {};
  const count = r.u32('user property count');
  for (let i = 0; i < count; i++) {
    const key = r.str('user property name');
    if (!readPresence(r, 'user property shape')) {
      userProperties[key] = r.str('user property value');
      continue;
    }
    const values: string[] = [];
    // Each value takes at least its 4 length bytes: a count past the end fails at the first read.
    const n = r.u32('user property values');
    for (let j = 0; j < n; j++) values.push(r.str('user property value'));
    userProperties[key] = values;
  }
  return userProperties;
}

function writeRoutes(w: ByteWriter, routes: readonly Route[]): void {
  w.u32(routes.length);
  for (const route of routes) {
    w.str(route.filter).u8(route.share === undefined ? 0 : 1);
    if (route.share !== undefined) w.str(route.share);
  }
}

function readRoutes(r: ByteReader): Route[] {
  const routes: Route[] = [];
  const count = r.u32('group count');
  for (let i = 0; i < count; i++) {
    const filter = r.str('group filter');
    routes.push(readPresence(r, 'group share') ? { filter, share: r.str('group share') } : { filter });
  }
  return routes;
}

function readRelay(r: ByteReader): ClusterEnvelope {
  const sessionKey = r.str('session key');
  const epoch = r.f64('epoch');
  const flags = r.u8('relay flags');
  if (flags > (SUBSCRIPTION_IDS | ORIGIN)) throw new EnvelopeDecodeError(`unknown relay flags ${flags}`);
  let subscriptionIds: number[] | undefined;
  if ((flags & SUBSCRIPTION_IDS) !== 0) {
    subscriptionIds = [];
    const count = r.u32('subscription id count');
    for (let i = 0; i < count; i++) subscriptionIds.push(r.f64('subscription id'));
  }
  const origin =
    (flags & ORIGIN) === 0 ? undefined : { node: r.str('origin node'), seq: r.f64('origin seq') };
  const envelope: { -readonly [K in keyof RelayEnvelope]: RelayEnvelope[K] } = {
    type: 'relay',
    sessionKey,
    epoch,
    message: readMessage(r),
  };
  if (subscriptionIds !== undefined) envelope.subscriptionIds = subscriptionIds;
  if (origin !== undefined) envelope.origin = origin;
  return envelope;
}

/** A presence byte: 0 absent, 1 present, anything else garbled. */
function readPresence(r: ByteReader, what: string): boolean {
  const value = r.u8(what);
  if (value > 1) throw new EnvelopeDecodeError(`envelope field ${what} has presence byte ${value}`);
  return value === 1;
}

/** Envelopes without a payload end with their last field. */
function ended<T extends ClusterEnvelope>(r: ByteReader, kind: string, envelope: T): T {
  if (!r.atEnd) throw new EnvelopeDecodeError(`${kind} envelope has trailing bytes`);
  return envelope;
}
