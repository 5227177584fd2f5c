import type { BrokerMessage, MessageProperties } from '../broker/message.js';
import type { PersistedSubscription, PersistedWill } from '../broker/store-ports.js';
import type { QoS } from '../mqtt/codec/packet.js';

/** The columns a BrokerMessage occupies in `outbound` and `retained` (named statement params). */
export interface MessageColumns {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string;
  expires_at: number | null;
  created_at: number;
  publisher_id: string | null;
}

/** Properties as stored in JSON: the one Buffer field travels as base64. */
type StoredProperties = Omit<MessageProperties, 'correlationData'> & { correlationData?: string };

/** Copies the payload: the row must not change if the caller later reuses its buffer. */
export function messageToColumns(message: BrokerMessage): MessageColumns {
  return {
    topic: message.topic,
    payload: Buffer.from(message.payload),
    qos: message.qos,
    retain: message.retain ? 1 : 0,
    properties: encodeProperties(message.properties),
    expires_at: message.expiresAt ?? null,
    created_at: message.createdAt,
    publisher_id: message.publisherId ?? null,
  };
}

/** NULL columns become absent fields, never `undefined`-valued ones. */
export function columnsToMessage(row: MessageColumns): BrokerMessage {
  const message: { -readonly [K in keyof BrokerMessage]: BrokerMessage[K] } = {
    topic: row.topic,
    payload: row.payload,
    qos: row.qos as QoS,
    retain: row.retain !== 0,
    properties: decodeProperties(row.properties),
    createdAt: row.created_at,
  };
  if (row.expires_at !== null) message.expiresAt = row.expires_at;
  if (row.publisher_id !== null) message.publisherId = row.publisher_id;
  return message;
}

export function encodeProperties(properties: MessageProperties): string {
  const { correlationData, ...rest } = properties;
  const stored: StoredProperties = rest;
  if (correlationData !== undefined) stored.correlationData = correlationData.toString('base64');
  return JSON.stringify(stored);
}

export function decodeProperties(json: string): MessageProperties {
  const { correlationData, ...rest } = JSON.parse(json) as StoredProperties;
  const properties: MessageProperties = rest;
  if (correlationData !== undefined) properties.correlationData = Buffer.from(correlationData, 'base64');
  return properties;
}

export function encodeSubscriptions(subscriptions: readonly PersistedSubscription[]): string {
  return JSON.stringify(subscriptions);
}

export function decodeSubscriptions(json: string): PersistedSubscription[] {
  return JSON.parse(json) as PersistedSubscription[];
}

/** The will as one JSON document; its message reuses the column shape with a base64 payload. */
interface StoredWill {
  dueAt: number;
  whileConnectedDelay?: number;
  message: Omit<MessageColumns, 'payload'> & { payload: string };
}

export function encodeWill(will: PersistedWill | undefined): string | null {
  if (will === undefined) return null;
  const columns = messageToColumns(will.message);
  const stored: StoredWill = {
    dueAt: will.dueAt,
    ...(will.whileConnectedDelay === undefined ? {} : { whileConnectedDelay: will.whileConnectedDelay }),
    message: { ...columns, payload: columns.payload.toString('base64') },
  };
  return JSON.stringify(stored);
}

export function decodeWill(json: string | null): PersistedWill | undefined {
  if (json === null) return undefined;
  const stored = JSON.parse(json) as StoredWill;
  const payload = Buffer.from(stored.message.payload, 'base64');
  return {
    dueAt: stored.dueAt,
    message: columnsToMessage({ ...stored.message, payload }),
    ...(stored.whileConnectedDelay === undefined ? {} : { whileConnectedDelay: stored.whileConnectedDelay }),
  };
}
