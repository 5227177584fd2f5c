import type { Broker } from '../broker/broker.js';
import { deviceTopic } from '../device-api/internal-topics.js';
import type { DeviceApiOptions, ReplyChannel } from '../device-api/types.js';
import type { Clock } from '../lib/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { topicMatches } from '../mqtt/topic/match.js';
import { redactTopic } from '../mqtt/topic/redact.js';
import type { DeviceBook } from './device-book.js';

/** Internal topic of the connection's own `downlink/diag`; only ever handed over with deliverTo. */
export const GATEWAY_DIAG_TOPIC = '$gateway/diag';

export interface OutboxDeps {
  readonly broker: Broker;
  readonly clock: Clock;
  readonly options: DeviceApiOptions;
  readonly book: DeviceBook;
  readonly sessionKey: string;
}

/**
 * What one gateway connection is sent besides routed downlinks: the answers to its uplinks and
 * diag texts, handed to its session only (never routed, so no other connection sees them).
 */
export class GatewayOutbox {
  readonly #deps: OutboxDeps;
  #diagAt = Number.NEGATIVE_INFINITY;

  constructor(deps: OutboxDeps) {
    this.#deps = deps;
  }

  /**
   * Answers to one uplink, as `dev/{token}/downlink/…` once unmounted: like a device's own answers
   * (spec §3.3), only where this connection subscribed for that token, at the QoS it was granted.
   * Diags (`dev/{token}/downlink/diag`, QoS 0, no subscription needed) are throttled per token.
   */
  replyFor(token: string, deviceId: number): ReplyChannel {
    return new TokenReply(this, token, deviceId);
  }

  /** A reply to an uplink for `token` (see replyFor). */
  send(token: string, deviceId: number, topic: string, payload: Buffer | string, qos: QoS): void {
    const internal = deviceTopic(deviceId, topic);
    const granted = this.#grantedQos(token, internal);
    if (granted !== undefined) this.#deliver(internal, payload, Math.min(qos, granted) as 0 | 1);
  }

  /** A diag about an uplink for `token`, throttled per token (see replyFor). */
  diag(token: string, deviceId: number, text: string): void {
    const { book, clock, options } = this.#deps;
    // Texts may quote what the gateway sent: never a token (spec §9).
    if (book.mayDiag(token, clock.now(), options.diagIntervalMs))
      this.#deliver(deviceTopic(deviceId, 'downlink/diag'), redactTopic(text), 0);
  }

  /** A throttled `downlink/diag` about the gateway connection itself (not about a target). */
  gatewayDiag(text: string): void {
    const now = this.#deps.clock.now();
    if (now - this.#diagAt < this.#deps.options.diagIntervalMs) return;
    this.#diagAt = now;
    this.#deliver(GATEWAY_DIAG_TOPIC, redactTopic(text), 0);
  }

  #grantedQos(token: string, internalTopic: string): QoS | undefined {
    const subscriptions = this.#deps.broker.subscriptionsOf(this.#deps.sessionKey);
    let best: QoS | undefined;
    for (const filter of this.#deps.book.filtersOf(token)) {
      const sub = subscriptions?.get(filter);
      if (sub !== undefined && topicMatches(sub.topicFilter, internalTopic) && (best ?? -1) < sub.qos)
        best = sub.qos;
    }
    return best;
  }

  #deliver(topic: string, payload: Buffer | string, qos: 0 | 1): void {
    this.#deps.broker.deliverTo(this.#deps.sessionKey, {
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      retain: false,
      properties: {},
      createdAt: this.#deps.clock.now(),
    });
  }
}

/** One token's reply channel: small, as the device book keeps one per token it remembers. */
class TokenReply implements ReplyChannel {
  readonly #outbox: GatewayOutbox;
  readonly #token: string;
  readonly #deviceId: number;

  constructor(outbox: GatewayOutbox, token: string, deviceId: number) {
    this.#outbox = outbox;
    this.#token = token;
    this.#deviceId = deviceId;
  }

  send(topic: string, payload: Buffer | string, qos: 0 | 1): void {
    this.#outbox.send(this.#token, this.#deviceId, topic, payload, qos);
  }

  diag(text: string): void {
    this.#outbox.diag(this.#token, this.#deviceId, text);
  }
}
