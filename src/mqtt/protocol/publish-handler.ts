import { isUtf8 } from 'node:buffer';
import type { PublishDecision } from '../../broker/client-adapter.js';
import type { BrokerMessage, MessageProperties } from '../../broker/message.js';
import { isSysTopic } from '../../broker/sys-topic.js';
import { MqttError } from '../codec/errors.js';
import type { PublishPacket } from '../codec/packet.js';
import { isFailure, ReasonCode } from '../codec/reason-codes.js';
import { redactTopic, topicForText } from '../topic/redact.js';
import { isValidTopicName } from '../topic/validate.js';
import type { Channel } from './channel.js';
import { publishAckCode } from './error-mapping.js';

/**
 * Inbound PUBLISH: resolve alias → validate topic → QoS 2 duplicate check → authorize →
 * retain → route → acknowledge (after the store is durable when persistence is on).
 */
export function handlePublish(ch: Channel, packet: PublishPacket): void | Promise<void> {
  const session = ch.session!;
  const metrics = ch.broker.metrics;
  metrics.messagesReceived++;
  metrics.messagesReceivedByQos[packet.qos]++;
  const topic = resolveTopic(ch, packet);
  const packetId = packet.messageId;
  if (packet.qos === 2 && session.inboundQoS2.has(packetId!)) {
    ch.send({ cmd: 'pubrec', messageId: packetId! }); // already received: exactly once [MQTT-4.3.3-9]
    return;
  }
  if (packet.qos === 2 && session.inboundQoS2.size >= ch.broker.limits.receiveMaximum) {
    throw new MqttError(ReasonCode.ReceiveMaximumExceeded, 'too many unacknowledged QoS 2 messages'); // [MQTT-3.3.4-9]
  }
  const message = toMessage(ch, packet, topic);
  if (message.properties.payloadFormatIndicator === true && !isUtf8(message.payload)) {
    return acknowledge(ch, packet, ReasonCode.PayloadFormatInvalid); // [MQTT-3.3.2-4] may be refused
  }
  if (isSysTopic(topic)) {
    metrics.publishDenied.reserved++; // [MQTT-4.7.2-1] `$SYS` is the broker's own
    return refuse(ch, packet, message);
  }
  if (ch.adapter !== undefined) {
    const decision = ch.adapter.onPublish(topic, message);
    if (decision instanceof Promise) return decision.then((d) => applyDecision(ch, packet, message, d));
    return applyDecision(ch, packet, message, decision);
  }
  const allowed = ch.broker.authorizer.canPublish(ch.identity!, topic);
  if (typeof allowed === 'boolean') return accept(ch, packet, message, allowed);
  return allowed.then((ok) => accept(ch, packet, message, ok));
}

/** An adapter's verdict: route under the mounted topic, or acknowledge a message it consumed. */
function applyDecision(
  ch: Channel,
  packet: PublishPacket,
  message: BrokerMessage,
  decision: PublishDecision,
): void | Promise<void> {
  if (ch.state !== 'connected') return;
  if (decision.kind === 'route') return accept(ch, packet, { ...message, topic: decision.topic }, true);
  if (decision.kind === 'deferred') return deferred(ch, packet, decision.reasonCode);
  countScopeDenial(ch, decision.reasonCode);
  if (packet.qos === 2 && !isFailure(decision.reasonCode)) ch.session!.addInboundQoS2(packet.messageId!);
  acknowledge(ch, packet, decision.reasonCode);
}

/**
 * A message the adapter consumed and is still completing: QoS 0 and 1 let the next PUBLISH in
 * meanwhile, their acks kept in arrival order; QoS 2 waits, so a resent duplicate is recognised.
 */
function deferred(ch: Channel, packet: PublishPacket, reasonCode: Promise<ReasonCode>): void | Promise<void> {
  const failed = (err: unknown): ReasonCode => {
    ch.logger.error({ err, clientId: ch.clientId }, 'deferred publish failed');
    return ReasonCode.ImplementationSpecificError;
  };
  if (packet.qos === 2) {
    return reasonCode.catch(failed).then((code) => {
      countScopeDenial(ch, code);
      if (ch.state !== 'connected') return;
      if (!isFailure(code)) ch.session!.addInboundQoS2(packet.messageId!);
      acknowledge(ch, packet, code);
    });
  }
  const settle = ch.acks.defer(packet);
  void reasonCode.then(
    (code) => settle(countScopeDenial(ch, code)),
    (err: unknown) => settle(failed(err)),
  );
}

/** An adapter refusing a PUBLISH as outside its device's or gateway's scope. */
function countScopeDenial(ch: Channel, code: ReasonCode): ReasonCode {
  if (code === ReasonCode.NotAuthorized) ch.broker.metrics.publishDenied.scope++;
  return code;
}

function resolveTopic(ch: Channel, packet: PublishPacket): string {
  if (packet.properties?.subscriptionIdentifier !== undefined) {
    throw new MqttError(ReasonCode.ProtocolError, 'Subscription Identifier in a client PUBLISH'); // [MQTT-3.3.4-6]
  }
  const alias = ch.protocolVersion === 5 ? packet.properties?.topicAlias : undefined;
  const topic = alias === undefined ? packet.topic : ch.inboundAliases.resolve(packet.topic, alias);
  if (!isValidTopicName(topic, ch.broker.limits.maxTopicLevels)) {
    // [MQTT-3.3.2-1/2] an empty topic without alias is a protocol error; wildcards are invalid
    throw new MqttError(
      topic === '' ? ReasonCode.ProtocolError : ReasonCode.TopicNameInvalid,
      `invalid topic name '${topicForText(topic)}'`,
    );
  }
  return topic;
}

function toMessage(ch: Channel, packet: PublishPacket, topic: string): BrokerMessage {
  const now = ch.broker.clock.now();
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  let properties: MessageProperties = {};
  let expiresAt: number | undefined;
  if (ch.protocolVersion === 5 && packet.properties !== undefined) {
    const { topicAlias, subscriptionIdentifier, messageExpiryInterval, ...passThrough } = packet.properties;
    properties = passThrough; // [MQTT-3.3.2-17/18/20] forwarded unaltered
    // An interval of 0 is read as "no expiry", as mosquitto does: it could never be delivered otherwise.
    if (messageExpiryInterval !== undefined && messageExpiryInterval > 0) {
      expiresAt = now + messageExpiryInterval * 1000;
    }
  }
  return {
    topic,
    payload,
    qos: packet.qos,
    retain: packet.retain,
    properties,
    createdAt: now,
    publisherId: ch.sessionKey,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

function accept(
  ch: Channel,
  packet: PublishPacket,
  message: BrokerMessage,
  allowed: boolean,
): void | Promise<void> {
  if (ch.state !== 'connected') return;
  if (!allowed) {
    ch.broker.metrics.publishDenied.authorizer++;
    return refuse(ch, packet, message);
  }
  const broker = ch.broker;
  if (message.retain && !broker.retain(message)) {
    return acknowledge(ch, packet, ReasonCode.QuotaExceeded);
  }
  const matched = broker.route(message);
  const code =
    matched === 0 && ch.protocolVersion === 5 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  if (packet.qos === 2) ch.session!.addInboundQoS2(packet.messageId!);
  if (packet.qos === 0) return;
  // Acknowledge only what is durable [MQTT-4.3.2-2 / 4.3.3-2 hold the message for us].
  const flushed = broker.flushStores();
  if (flushed === undefined) return acknowledge(ch, packet, code);
  const failed = (err: unknown): ReasonCode => {
    ch.logger.error({ err }, 'store flush failed');
    return ReasonCode.ImplementationSpecificError;
  };
  if (packet.qos === 2) {
    return flushed.then(
      () => acknowledge(ch, packet, code),
      (err: unknown) => acknowledge(ch, packet, failed(err)),
    );
  }
  // QoS 1: the next PUBLISH comes in while this one's flush is pending, so the messages of one
  // turn share one commit (and, in a cluster, one append per node); acks keep arrival order.
  const settle = ch.acks.defer(packet);
  void flushed.then(
    () => settle(code),
    (err: unknown) => settle(failed(err)),
  );
}

/** v5: PUBACK/PUBREC 0x87; 3.1.1 has no negative ack, so the message is acknowledged and dropped. */
function refuse(ch: Channel, packet: PublishPacket, message: BrokerMessage): void {
  ch.logger.debug({ clientId: ch.clientId, topic: redactTopic(message.topic) }, 'publish not authorized');
  acknowledge(ch, packet, ch.protocolVersion === 5 ? ReasonCode.NotAuthorized : ReasonCode.Success);
}

/** PUBACK (QoS 1) or PUBREC (QoS 2), after any still pending for earlier packets [MQTT-4.6.0-2]. */
function acknowledge(ch: Channel, packet: PublishPacket, code: ReasonCode): void {
  ch.acks.now(packet, code);
}

/** Writes the acknowledgement; QoS 0 has none. Called by the channel's OrderedAcks. */
export function sendPublishAck(ch: Channel, packet: PublishPacket, code: ReasonCode): void {
  if (packet.qos === 0) return;
  if (ch.protocolVersion !== 5 && code === ReasonCode.ImplementationSpecificError) {
    // 3.1.1 has no negative PUBACK/PUBREC: a message the server failed to take (its store away)
    // is not acknowledged; the connection closes, so the client sends it again on its next one.
    ch.logger.warn(
      { clientId: ch.clientId },
      'publish not taken by the server: closing without acknowledging it',
    );
    ch.close(undefined, true);
    return;
  }
  const cmd = packet.qos === 1 ? 'puback' : 'pubrec';
  if (ch.protocolVersion !== 5 || code === ReasonCode.Success) {
    ch.send({ cmd, messageId: packet.messageId! });
    return;
  }
  ch.send({ cmd, messageId: packet.messageId!, reasonCode: publishAckCode(code) });
}
