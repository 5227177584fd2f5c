import type { QoS } from '../mqtt/codec/packet.js';
import type { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { ConnectionInfo } from './auth.js';
import type { BrokerMessage } from './message.js';

/**
 * What an inbound PUBLISH becomes: routed under an (internal) topic, or consumed by the adapter
 * (an API uplink) and acknowledged with a reason code (v5 PUBACK/PUBREC; 3.1.1 acknowledges and
 * drops).
 */
export type PublishDecision =
  | { readonly kind: 'route'; readonly topic: string }
  | { readonly kind: 'handled'; readonly reasonCode: ReasonCode; readonly reasonString?: string }
  | DeferredDecision;

/**
 * Consumed, with every order-sensitive effect already started (e.g. the value write queued), but
 * not yet complete (the write is not yet durable). Returned synchronously, it lets the connection
 * hand over its next PUBLISH while this one completes; acknowledgements still go out in the order
 * the PUBLISH packets arrived [MQTT-4.6.0-2]. `reasonCode` must not reject.
 */
export interface DeferredDecision {
  readonly kind: 'deferred';
  readonly reasonCode: Promise<ReasonCode>;
}

/**
 * What a SUBSCRIBE filter becomes: an internal filter and the highest QoS granted, or a failure
 * code. `storedFilter`: the form to persist instead of the wire filter when that holds a secret
 * (the broker's FilterSeal turns it back after a restart).
 */
export type SubscribeMapping =
  | { readonly filter: string; readonly maxQos: QoS; readonly storedFilter?: string }
  | ReasonCode;

/** What an adapter may do to its connection. */
export interface AdapterLink {
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  /** Session key of this connection (see ClientAdapter.sessionKey). */
  readonly sessionKey: string;
  /** Transport and peer address (redirects answer in the scheme the client used). */
  readonly connection: ConnectionInfo;
  /** Lowers the largest packet sent to this client (e.g. `info/mcu` rxbuff); never raises it. */
  limitOutboundPacketSize(bytes: number): void;
  /** Closes the connection (v5: DISCONNECT with `code` first). */
  close(code: ReasonCode, reasonString?: string): void;
}

/**
 * The mount/unmount seam between the engine and an API layered on it (device API, gateway API).
 * Returned by the authenticator for one connection; the engine calls it for every topic crossing
 * the edge, so the routing core only ever sees internal topics. Absent = plain MQTT broker.
 */
export interface ClientAdapter {
  /**
   * The key that identifies the session (default: the MQTT client id). A device API connection
   * uses its device, so one token has one live connection whatever client id it sends.
   */
  readonly sessionKey?: string;
  /** Called once the connection is accepted (after CONNACK). */
  onConnected?(link: AdapterLink): void;
  /** Inbound PUBLISH on a wire topic; replaces authorization and routing for that message. */
  onPublish(topic: string, message: BrokerMessage): PublishDecision | Promise<PublishDecision>;
  /** The will, when it is due: routed under the returned topic, or consumed (undefined). */
  onWill?(message: BrokerMessage): string | undefined;
  /** Inbound SUBSCRIBE filter (shared subscriptions are not offered to adapters). */
  onSubscribe(filter: string, qos: QoS): SubscribeMapping | Promise<SubscribeMapping>;
  /** Internal topic of an outbound message → the topic this client sees; undefined = do not send. */
  toWireTopic(internalTopic: string): string | undefined;
  /** Called when the connection has ended, for whatever reason. */
  onDisconnected?(): void;
}
