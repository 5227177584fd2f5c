import type { BrokerMessage } from '../../broker/message.js';
import type { SendOutcome } from '../../broker/session-link.js';
import { encodePacket } from '../codec/encoder.js';
import type { PublishPacket } from '../codec/packet.js';
import type { Channel } from './channel.js';

type PublishProperties = NonNullable<PublishPacket['properties']>;

/**
 * Encodes one outbound PUBLISH for this client: remaining Message Expiry Interval
 * [MQTT-3.3.2-6], subscription identifiers, topic alias, and the client's Maximum Packet Size
 * [MQTT-3.1.2-25] (too large: not sent, counted, treated as delivered).
 */
export function buildOutboundPublish(
  ch: Channel,
  message: BrokerMessage,
  packetId: number | undefined,
  dup: boolean,
  subscriptionIds: readonly number[] | undefined,
): Buffer | Exclude<SendOutcome, 'sent'> {
  const metrics = ch.broker.metrics;
  let remainingExpiry: number | undefined;
  if (message.expiresAt !== undefined) {
    remainingExpiry = Math.ceil((message.expiresAt - ch.broker.clock.now()) / 1000);
    if (remainingExpiry <= 0) {
      // A resend continues a delivery that already started, which expiry may not cut [MQTT-3.3.2-5].
      if (!dup) {
        metrics.droppedExpired++;
        return 'expired';
      }
      remainingExpiry = 1;
    }
  }
  const topic = ch.adapter === undefined ? message.topic : ch.adapter.toWireTopic(message.topic);
  if (topic === undefined) return 'skipped';
  const packet: PublishPacket = {
    cmd: 'publish',
    topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    dup,
    ...(packetId === undefined ? {} : { messageId: packetId }),
  };
  let freshAlias = false;
  if (ch.protocolVersion === 5) {
    const properties: PublishProperties = { ...message.properties };
    if (remainingExpiry !== undefined) properties.messageExpiryInterval = remainingExpiry;
    if (subscriptionIds !== undefined && subscriptionIds.length > 0) {
      properties.subscriptionIdentifier =
        subscriptionIds.length === 1 ? subscriptionIds[0]! : [...subscriptionIds];
    }
    const alias = ch.outboundAliases.aliasFor(topic);
    if (alias !== undefined) {
      properties.topicAlias = alias.alias;
      if (alias.known) packet.topic = '';
      freshAlias = !alias.known;
    }
    packet.properties = properties;
  }
  const bytes = encodePacket(packet, ch.protocolVersion);
  if (bytes.length > ch.clientMaxPacketSize) {
    if (freshAlias) ch.outboundAliases.forget(topic);
    metrics.droppedTooLarge++;
    ch.logger.warn(
      { clientId: ch.clientId, size: bytes.length },
      'message larger than client Maximum Packet Size',
    );
    return 'too-large';
  }
  return bytes;
}
