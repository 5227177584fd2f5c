import type { BrokerMessage } from '../../broker/message.js';
import type { Subscription } from '../../broker/subscription.js';
import { MqttError } from '../codec/errors.js';
import type {
  QoS,
  SubscribePacket,
  UnsubscribePacket,
  Subscription as WireSubscription,
} from '../codec/packet.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { parseSharedFilter, type SharedFilter } from '../topic/shared.js';
import { isValidTopicFilter } from '../topic/validate.js';
import type { Channel } from './channel.js';
import { subackCode } from './error-mapping.js';

interface Granted {
  readonly code: number;
  readonly retained: readonly BrokerMessage[];
  readonly sub?: Subscription;
}

/**
 * SUBSCRIBE: each filter is validated, authorized and stored; SUBACK lists one code per filter in
 * order [MQTT-3.8.4-6]; retained messages follow the SUBACK per Retain Handling [MQTT-3.3.1-9..11].
 */
export async function handleSubscribe(ch: Channel, packet: SubscribePacket): Promise<void> {
  const subscriptionId = ch.protocolVersion === 5 ? packet.properties?.subscriptionIdentifier : undefined;
  const results: Granted[] = [];
  for (const wire of packet.subscriptions) results.push(await subscribeOne(ch, wire, subscriptionId));
  if (ch.state !== 'connected') return;
  // In a cluster the SUBACK waits until the other nodes can route to this subscription.
  const routed = ch.broker.routesSettled();
  if (routed !== undefined) {
    await routed;
    if (ch.state !== 'connected') return;
  }
  ch.session!.saveState();
  const codes = results.map((r) => subackCode(r.code, ch.protocolVersion));
  ch.send({ cmd: 'suback', messageId: packet.messageId!, granted: codes });
  const session = ch.session!;
  for (const { retained, sub } of results) {
    if (sub === undefined) continue;
    for (const message of retained) {
      const qos = Math.min(message.qos, sub.qos) as QoS;
      // [MQTT-3.3.1-8] retained messages sent because of a new subscription keep RETAIN=1
      session.deliver(
        { ...message, qos, retain: true },
        sub.subscriptionId === undefined ? undefined : [sub.subscriptionId],
      );
    }
  }
}

async function subscribeOne(
  ch: Channel,
  wire: WireSubscription,
  subscriptionId: number | undefined,
): Promise<Granted> {
  const limits = ch.broker.limits;
  const filter = wire.topic;
  const fail = (code: number): Granted => ({ code, retained: [] });
  let shared: SharedFilter | null;
  try {
    shared = parseSharedFilter(filter, limits.maxTopicLevels);
  } catch {
    return fail(ReasonCode.TopicFilterInvalid); // [MQTT-4.8.2-1/2]
  }
  const wireFilter = shared === null ? filter : shared.filter;
  if (!isValidTopicFilter(wireFilter, limits.maxTopicLevels)) return fail(ReasonCode.TopicFilterInvalid);
  if (shared !== null && wire.nl === true) {
    throw new MqttError(ReasonCode.ProtocolError, 'No Local on a shared subscription'); // [MQTT-3.8.3-4]
  }
  const session = ch.session!;
  if (!session.subscriptions.has(filter) && session.subscriptions.size >= limits.maxSubscriptionsPerSession) {
    return fail(ReasonCode.QuotaExceeded);
  }
  const target = await resolveTarget(ch, wire, wireFilter, shared);
  if (typeof target === 'number') return fail(target);
  if (ch.state !== 'connected') return fail(ReasonCode.UnspecifiedError);
  const { topicFilter, qos, storedFilter } = target;
  const sub: Subscription = {
    filter,
    topicFilter,
    ...(storedFilter === undefined ? {} : { storedFilter }),
    qos,
    noLocal: ch.protocolVersion === 5 && wire.nl === true,
    retainAsPublished: ch.protocolVersion === 5 && wire.rap === true,
    retainHandling: (ch.protocolVersion === 5 ? (wire.rh ?? 0) : 0) as 0 | 1 | 2,
    ...(shared === null ? {} : { shareName: shared.shareName }),
    ...(subscriptionId === undefined ? {} : { subscriptionId }),
  };
  const isNew = ch.broker.subscribe(session, sub);
  // Shared subscriptions get no retained messages [MQTT-4.8.2 v5 "retained messages are not sent"].
  const wantsRetained = shared === null && (sub.retainHandling === 0 || (sub.retainHandling === 1 && isNew));
  const matched = wantsRetained ? ch.broker.retained.match(topicFilter, ch.broker.clock.now()) : [];
  // Like every routed delivery, each retained topic is checked on its own: a `deny` inside the
  // subscribed filter (or an ACL reloaded since the message was retained) must hold here too.
  const { authorizer } = ch.broker;
  const retained = matched.filter((m) => authorizer.canReceive?.(ch.identity!, m.topic) !== false);
  return { code: sub.qos, retained, sub };
}

/**
 * Where the subscription points and at which QoS: the adapter's mapping (device/gateway APIs; no
 * shared subscriptions there), or the filter itself once the authorizer allows it.
 */
async function resolveTarget(
  ch: Channel,
  wire: WireSubscription,
  wireFilter: string,
  shared: SharedFilter | null,
): Promise<{ topicFilter: string; qos: QoS; storedFilter?: string } | ReasonCode> {
  const adapter = ch.adapter;
  if (adapter !== undefined) {
    if (shared !== null) return ReasonCode.SharedSubscriptionsNotSupported;
    const mapping = await adapter.onSubscribe(wireFilter, wire.qos);
    if (typeof mapping === 'number') {
      if (mapping === ReasonCode.NotAuthorized) ch.broker.metrics.subscribeDenied.scope++;
      return mapping;
    }
    const qos = Math.min(wire.qos, mapping.maxQos) as QoS;
    const { storedFilter } = mapping;
    return { topicFilter: mapping.filter, qos, ...(storedFilter === undefined ? {} : { storedFilter }) };
  }
  const decision = await ch.broker.authorizer.canSubscribe(ch.identity!, wireFilter, shared?.shareName);
  if (decision === true) return { topicFilter: wireFilter, qos: wire.qos };
  ch.broker.metrics.subscribeDenied.authorizer++;
  return decision === false ? ReasonCode.UnspecifiedError : decision;
}

/** UNSUBSCRIBE: v5 answers 0x00 or 0x11 per filter [MQTT-3.11.3-1]; 3.1.1 UNSUBACK has no payload. */
export function handleUnsubscribe(ch: Channel, packet: UnsubscribePacket): void {
  const session = ch.session!;
  const codes = packet.unsubscriptions.map((filter) =>
    ch.broker.unsubscribe(session, filter) ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted,
  );
  session.saveState();
  if (ch.protocolVersion === 5) ch.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: codes });
  else ch.send({ cmd: 'unsuback', messageId: packet.messageId!, granted: [] });
}
