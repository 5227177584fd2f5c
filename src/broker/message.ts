import type { QoS, UserProperties } from '../mqtt/codec/packet.js';

/** v5 PUBLISH properties that travel with an application message (not topic alias / sub id). */
export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
}

/**
 * An application message inside the broker, independent of any connection's protocol version,
 * topic aliases or packet ids.
 */
export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties: MessageProperties;
  /** Epoch ms after which the message must not be delivered (v5 Message Expiry Interval). */
  readonly expiresAt?: number;
  /** Epoch ms when the broker accepted it; used to compute the remaining expiry interval. */
  readonly createdAt: number;
  /** Client id of the publisher, for No Local [MQTT-3.8.3-3]; absent for server-originated messages. */
  readonly publisherId?: string;
  /**
   * Called when the receiving client acknowledges this copy (PUBACK/PUBCOMP), with the time. Only
   * for messages handed to one session with `Broker.deliverTo` (e.g. `downlink/ping` round trips);
   * never persisted.
   */
  readonly onAcknowledged?: (at: number) => void;
}
