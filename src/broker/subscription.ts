import type { QoS } from '../mqtt/codec/packet.js';

/** A granted subscription of one session. */
export interface Subscription {
  /** The filter as the client sent it, including any `$share/{group}/` prefix: the session's key. */
  readonly filter: string;
  /** The filter used for matching (without the share prefix). */
  readonly topicFilter: string;
  /** Share group name for `$share/{group}/…` subscriptions [MQTT-4.8.2]. */
  readonly shareName?: string;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionId?: number;
  /**
   * What the session store keeps instead of `filter` when the wire filter holds a secret (a
   * Gateway API `dev/{token}/…`): set by the adapter that mapped it (SubscribeMapping).
   */
  readonly storedFilter?: string;
}
