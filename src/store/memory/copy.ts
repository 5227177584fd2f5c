import type { BrokerMessage, MessageProperties } from '../../broker/message.js';
import type { PersistedOutbound, PersistedSession } from '../../broker/store-ports.js';

/**
 * Deep copies, so that a stored value never aliases an object the caller still holds (and may
 * mutate) and a loaded value never aliases the store's own state. Absent optionals stay absent.
 */
export function copyMessage(message: BrokerMessage): BrokerMessage {
  const copy: { -readonly [K in keyof BrokerMessage]: BrokerMessage[K] } = {
    topic: message.topic,
    payload: Buffer.from(message.payload),
    qos: message.qos,
    retain: message.retain,
    properties: copyProperties(message.properties),
    createdAt: message.createdAt,
  };
  if (message.expiresAt !== undefined) copy.expiresAt = message.expiresAt;
  if (message.publisherId !== undefined) copy.publisherId = message.publisherId;
  return copy;
}

function copyProperties(properties: MessageProperties): MessageProperties {
  const copy: MessageProperties = { ...properties };
  if (properties.correlationData !== undefined) {
    copy.correlationData = Buffer.from(properties.correlationData);
  }
  if (properties.userProperties !== undefined) {
    copy.userProperties = Object.fromEntries(
      Object.entries(properties.userProperties).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
    );
  }
  return copy;
}

export function copySession(session: PersistedSession): PersistedSession {
  const copy: { -readonly [K in keyof PersistedSession]: PersistedSession[K] } = {
    clientId: session.clientId,
    protocolVersion: session.protocolVersion,
    expiryInterval: session.expiryInterval,
    disconnectedAt: session.disconnectedAt,
    subscriptions: session.subscriptions.map((s) => ({ ...s })),
  };
  if (session.will !== undefined) {
    copy.will = { ...session.will, message: copyMessage(session.will.message) };
  }
  if (session.identity !== undefined) copy.identity = structuredClone(session.identity);
  return copy;
}

export function copyOutbound(outbound: PersistedOutbound): PersistedOutbound {
  const copy: PersistedOutbound = {
    seq: outbound.seq,
    packetId: outbound.packetId,
    state: outbound.state,
    message: copyMessage(outbound.message),
  };
  if (outbound.subscriptionIds === undefined) return copy;
  return { ...copy, subscriptionIds: [...outbound.subscriptionIds] };
}
