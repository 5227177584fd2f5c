import { randomUUID } from 'node:crypto';
import type { ConnectRequest } from '../../broker/auth.js';
import type { WillSpec } from '../../broker/will.js';
import { MqttError } from '../codec/errors.js';
import type { ConnackPacket, ConnectPacket, ProtocolVersion } from '../codec/packet.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { isValidTopicName } from '../topic/validate.js';
import type { Channel } from './channel.js';
import { OutboundTopicAliases } from './topic-alias.js';

const NEVER_EXPIRES = 0xffffffff;

/**
 * The CONNECT pipeline, step by step: validate → authenticate → open session (takeover,
 * clean start) → CONNACK → resume deliveries. Any MqttError thrown becomes the CONNACK code.
 */
export async function handleConnect(ch: Channel, packet: ConnectPacket): Promise<void> {
  const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
  ch.protocolVersion = version;
  ch.username = packet.username;
  const limits = ch.broker.limits;
  if (ch.broker.connectionCount > limits.maxConnections) {
    throw new MqttError(ReasonCode.ServerBusy, 'too many connections');
  }
  const { clientId, assigned } = resolveClientId(packet, version, limits.maxClientIdLength);
  ch.clientId = clientId;
  const props = packet.properties ?? {};
  if (props.authenticationMethod !== undefined) {
    throw new MqttError(ReasonCode.BadAuthenticationMethod, 'enhanced authentication is not supported');
  }
  if (props.receiveMaximum === 0 || props.maximumPacketSize === 0) {
    throw new MqttError(ReasonCode.ProtocolError, 'Receive Maximum and Maximum Packet Size must not be 0'); // [MQTT-3.1.2-?]
  }
  if (packet.will !== undefined && !isValidTopicName(packet.will.topic, limits.maxTopicLevels)) {
    throw new MqttError(ReasonCode.TopicNameInvalid, 'invalid will topic');
  }
  const request: ConnectRequest = {
    clientId,
    protocolVersion: version,
    connection: ch.info,
    ...(packet.username === undefined ? {} : { username: packet.username }),
    ...(packet.password === undefined ? {} : { password: Buffer.from(packet.password) }),
  };
  const result = await ch.broker.authenticator.authenticate(request);
  if (ch.state !== 'connecting') return; // closed while authenticating
  if (!result.ok) {
    ch.broker.metrics.connectionsRejected++;
    ch.broker.metrics.authFailed(result.reasonCode);
    throw new MqttError(result.reasonCode, result.reasonString ?? refusalText(result.reasonCode));
  }
  const sessionKey = result.adapter?.sessionKey ?? clientId;
  if (!ch.broker.sessionAllowed(sessionKey, result.identity)) {
    ch.broker.metrics.connectionsRejected++;
    throw new MqttError(ReasonCode.QuotaExceeded, 'too many sessions for this credential'); // decision 0009
  }
  const claimed = ch.broker.acquireSession(sessionKey, packet.clean === false);
  let ownerEpoch: number | undefined;
  if (claimed !== undefined) {
    ownerEpoch = await acquire(ch, claimed);
    if (ch.state !== 'connecting') return; // closed while the cluster decided
  }
  ch.identity = result.identity;
  ch.adapter = result.adapter;
  ch.sessionKey = sessionKey;
  applyClientLimits(ch, packet);
  const requestedExpiry =
    version === 5 ? (props.sessionExpiryInterval ?? 0) : packet.clean ? 0 : NEVER_EXPIRES;
  const expiry = Math.min(requestedExpiry, limits.maxSessionExpiryInterval);
  const { session, present } = ch.broker.openSession(
    {
      clientId: ch.sessionKey,
      cleanStart: packet.clean !== false,
      expiryInterval: expiry,
      protocolVersion: version,
      identity: result.identity,
      ownerEpoch,
    },
    ch,
  );
  ch.session = session;
  ch.will = willFrom(packet, ch);
  ch.broker.keepWill(session, ch, ch.will);
  const keepalive = effectiveKeepalive(packet.keepalive ?? 0, limits.maxKeepAlive, version);
  ch.broker.metrics.connectionsAccepted++;
  ch.send(
    connack(
      ch,
      present,
      assigned ? clientId : undefined,
      expiry,
      requestedExpiry,
      keepalive,
      packet.keepalive ?? 0,
    ),
  );
  // Before markConnected: an adapter may end the connection there, and its line must come second.
  ch.broker.connectionLog.accepted({
    clientId,
    username: packet.username,
    connection: ch.info,
    protocolVersion: version,
    keepalive,
    cleanStart: packet.clean !== false,
    sessionExpiry: expiry,
    sessionPresent: present,
  });
  ch.markConnected(keepalive);
  session.resume();
}

/**
 * In a cluster, this node becomes the session's owner (decision 0029); when that cannot be decided
 * (the cluster's database away) the client is told to come back later.
 */
async function acquire(ch: Channel, claimed: Promise<number>): Promise<number> {
  try {
    return await claimed;
  } catch (err) {
    ch.logger.warn({ err, clientId: ch.clientId }, 'session ownership could not be decided');
    ch.broker.metrics.connectionsRejected++;
    throw new MqttError(ReasonCode.ServerUnavailable, 'the cluster cannot take the session now');
  }
}

/** [MQTT-3.1.3-6/7/8] an empty id is assigned (v5) or allowed with clean session (3.1.1). */
function resolveClientId(
  packet: ConnectPacket,
  version: ProtocolVersion,
  maxLength: number,
): { clientId: string; assigned: boolean } {
  const id = packet.clientId ?? '';
  if (id.length > maxLength) throw new MqttError(ReasonCode.ClientIdentifierNotValid, 'client id too long');
  if (id !== '') return { clientId: id, assigned: false };
  if (version === 3 || (version === 4 && packet.clean === false)) {
    throw new MqttError(ReasonCode.ClientIdentifierNotValid, 'empty client id needs clean session'); // [MQTT-3.1.3-8]
  }
  return { clientId: `auto-${randomUUID()}`, assigned: true };
}

/** Applies what the v5 client told us about itself: its receive window, packet size, aliases. */
function applyClientLimits(ch: Channel, packet: ConnectPacket): void {
  const props = packet.properties ?? {};
  const limits = ch.broker.limits;
  ch.sendQuota = Math.min(props.receiveMaximum ?? 65535, limits.maxInflightOutgoing);
  if (props.maximumPacketSize !== undefined) ch.clientMaxPacketSize = props.maximumPacketSize;
  // 0 (the default) keeps the channel's shared no-alias table [MQTT-3.3.2-9].
  const aliases = Math.min(props.topicAliasMaximum ?? 0, limits.outboundTopicAliasMaximum);
  if (aliases > 0) ch.outboundAliases = new OutboundTopicAliases(aliases);
  ch.problemInformation = props.requestProblemInformation !== false;
}

function effectiveKeepalive(requested: number, maximum: number, version: ProtocolVersion): number {
  if (maximum > 0 && version === 5 && (requested === 0 || requested > maximum)) return maximum;
  return requested;
}

function willFrom(packet: ConnectPacket, ch: Channel): WillSpec | undefined {
  const will = packet.will;
  if (will === undefined) return undefined;
  const { willDelayInterval, messageExpiryInterval, ...properties } = will.properties ?? {};
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload),
    qos: will.qos ?? 0,
    retain: will.retain ?? false,
    properties,
    delay: willDelayInterval ?? 0,
    messageExpiryInterval,
    identity: ch.identity!,
    publisherId: ch.sessionKey,
    ...(ch.adapter?.onWill === undefined ? {} : { mapTopic: ch.adapter.onWill.bind(ch.adapter) }),
  };
}

function connack(
  ch: Channel,
  sessionPresent: boolean,
  assignedClientId: string | undefined,
  expiry: number,
  requestedExpiry: number,
  keepalive: number,
  requestedKeepalive: number,
): ConnackPacket {
  if (ch.protocolVersion !== 5) return { cmd: 'connack', sessionPresent, returnCode: 0 };
  const limits = ch.broker.limits;
  return {
    cmd: 'connack',
    sessionPresent,
    reasonCode: ReasonCode.Success,
    properties: {
      receiveMaximum: limits.receiveMaximum,
      maximumPacketSize: limits.maxPacketSize,
      topicAliasMaximum: limits.topicAliasMaximum,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      // Adapter connections (device/gateway APIs) are never offered shared subscriptions.
      sharedSubscriptionAvailable: ch.adapter === undefined,
      ...(expiry === requestedExpiry ? {} : { sessionExpiryInterval: expiry }),
      ...(assignedClientId === undefined ? {} : { assignedClientIdentifier: assignedClientId }),
      ...(keepalive === requestedKeepalive ? {} : { serverKeepAlive: keepalive }),
    },
  };
}

/** The CONNACK reason string (v5) when the authenticator gave none. */
function refusalText(code: ReasonCode): string {
  switch (code) {
    case ReasonCode.BadUserNameOrPassword:
      return 'bad user name or password';
    case ReasonCode.ClientIdentifierNotValid:
      return 'client identifier not valid';
    case ReasonCode.ServerUnavailable:
    case ReasonCode.ServerBusy:
      return 'server unavailable';
    default:
      return 'not authorized';
  }
}
