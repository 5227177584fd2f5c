import type { BrokerMessage } from './message.js';

/**
 * Why an outbound PUBLISH was not written (too large for the client [MQTT-3.1.2-25], expired, or
 * not meant for this client's view of the topic space). Either way the message counts as delivered.
 */
export type SendOutcome = 'sent' | 'too-large' | 'expired' | 'skipped';

/** What a session needs from the connection it is attached to (implemented by the channel). */
export interface SessionLink {
  /** How many QoS 1/2 PUBLISHes may be unacknowledged at once (client Receive Maximum, our cap). */
  readonly sendQuota: number;
  /** True while the socket's write buffer is over its limit: QoS 0 deliveries are dropped. */
  isCongested(): boolean;
  /** Writes a PUBLISH; `message.qos`/`message.retain` are already the values for this client. */
  sendPublish(
    message: BrokerMessage,
    packetId: number | undefined,
    dup: boolean,
    subscriptionIds: readonly number[] | undefined,
  ): SendOutcome;
  sendPubrel(packetId: number): void;
  /** Another connection took this session over: DISCONNECT 0x8E (v5) and close [MQTT-3.1.4-3]. */
  takeOver(): void;
}
