import type { Timer } from '../lib/clock.js';
import type { ClientIdentity } from './auth.js';
import type { BrokerMessage, MessageProperties } from './message.js';

/** A will waiting for its Will Delay Interval or the end of its session [MQTT-3.1.3-9]. */
export interface PendingWill {
  readonly message: BrokerMessage;
  readonly dueAt: number;
  timer: Timer | undefined;
}

/** The will as received in CONNECT, kept by the connection until it ends. */
export interface WillSpec {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly properties: MessageProperties;
  /** Seconds (v5 Will Delay Interval; 0 for 3.1.1). */
  readonly delay: number;
  /** Seconds (v5 Message Expiry Interval of the will), counted from publication. */
  readonly messageExpiryInterval: number | undefined;
  readonly identity: ClientIdentity;
  /** Session key of the connection (for No Local). */
  readonly publisherId: string;
  /** Set by an adapter: the internal topic the will is routed under, undefined = consumed. */
  readonly mapTopic?: (message: BrokerMessage) => string | undefined;
}

/**
 * The application message a will becomes when it is published at `at` (epoch ms); undefined when
 * an adapter consumed it.
 */
export function willToMessage(will: WillSpec, at: number): BrokerMessage | undefined {
  const message: BrokerMessage = {
    topic: will.topic,
    payload: will.payload,
    qos: will.qos,
    retain: will.retain,
    properties: will.properties,
    createdAt: at,
    publisherId: will.publisherId,
    ...(will.messageExpiryInterval === undefined
      ? {}
      : { expiresAt: at + will.messageExpiryInterval * 1000 }),
  };
  if (will.mapTopic === undefined) return message;
  const topic = will.mapTopic(message);
  return topic === undefined ? undefined : { ...message, topic };
}
