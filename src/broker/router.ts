import type { QoS } from '../mqtt/codec/packet.js';
import { SubscriptionTrie } from '../mqtt/topic/trie.js';
import type { Subscription } from './subscription.js';

/** One message copy for one session, after overlapping subscriptions are merged. */
export interface Delivery {
  readonly clientId: string;
  qos: QoS;
  retainAsPublished: boolean;
  subscriptionIds: number[] | undefined;
}

interface ShareGroup {
  readonly members: Map<string, Subscription>;
  cursor: number;
}

const shareKey = (shareName: string): string => `$share/${shareName}`;

/**
 * The subscription index: filter → sessions. Overlapping non-shared subscriptions of one session
 * yield one delivery at the highest QoS carrying every subscription identifier [MQTT-3.3.4-2/3/5];
 * each share group yields one delivery to one member [MQTT-4.8.2-2].
 */
export class Router {
  private readonly direct = new SubscriptionTrie<Subscription>();
  private readonly shared = new SubscriptionTrie<ShareGroup>();

  add(clientId: string, sub: Subscription): void {
    if (sub.shareName === undefined) {
      this.direct.set(sub.topicFilter, clientId, sub);
      return;
    }
    const key = shareKey(sub.shareName);
    let group = this.shared.get(sub.topicFilter, key);
    if (group === undefined) {
      group = { members: new Map(), cursor: 0 };
      this.shared.set(sub.topicFilter, key, group);
    }
    group.members.set(clientId, sub);
  }

  remove(clientId: string, sub: Subscription): void {
    if (sub.shareName === undefined) {
      this.direct.delete(sub.topicFilter, clientId);
      return;
    }
    const key = shareKey(sub.shareName);
    const group = this.shared.get(sub.topicFilter, key);
    if (group === undefined) return;
    group.members.delete(clientId);
    if (group.members.size === 0) this.shared.delete(sub.topicFilter, key);
  }

  /** Deliveries for a message on `topic`; `isOnline` steers share groups to connected members. */
  route(topic: string, publisherId: string | undefined, isOnline: (clientId: string) => boolean): Delivery[] {
    const out: Delivery[] = [];
    let byClient: Map<string, Delivery> | undefined;
    this.direct.match(topic, (sub, clientId) => {
      if (sub.noLocal && clientId === publisherId) return; // [MQTT-3.8.3-3]
      const existing =
        byClient?.get(clientId) ?? (out.length < 8 ? out.find((d) => d.clientId === clientId) : undefined);
      if (existing === undefined) {
        const delivery: Delivery = {
          clientId,
          qos: sub.qos,
          retainAsPublished: sub.retainAsPublished,
          subscriptionIds: sub.subscriptionId === undefined ? undefined : [sub.subscriptionId],
        };
        out.push(delivery);
        if (out.length >= 8) {
          byClient ??= new Map(out.map((d) => [d.clientId, d]));
          byClient.set(clientId, delivery);
        }
        return;
      }
      mergeInto(existing, sub);
    });
    this.shared.match(topic, (group) => {
      const member = pickMember(group, isOnline);
      if (member === undefined) return;
      const [clientId, sub] = member;
      out.push({
        clientId,
        qos: sub.qos,
        retainAsPublished: sub.retainAsPublished,
        subscriptionIds: sub.subscriptionId === undefined ? undefined : [sub.subscriptionId],
      });
    });
    return out;
  }
}

function mergeInto(delivery: Delivery, sub: Subscription): void {
  if (sub.qos > delivery.qos) delivery.qos = sub.qos;
  if (sub.retainAsPublished) delivery.retainAsPublished = true;
  if (sub.subscriptionId !== undefined) {
    delivery.subscriptionIds ??= [];
    delivery.subscriptionIds.push(sub.subscriptionId);
  }
}

/** Round robin over the group, skipping offline members while any member is online. */
function pickMember(
  group: ShareGroup,
  isOnline: (clientId: string) => boolean,
): [string, Subscription] | undefined {
  const members = [...group.members];
  if (members.length === 0) return undefined;
  for (let i = 0; i < members.length; i++) {
    const index = (group.cursor + i) % members.length;
    const member = members[index]!;
    if (isOnline(member[0])) {
      group.cursor = index + 1;
      return member;
    }
  }
  // Nobody online: queue on the next member's session so the message is not lost.
  const member = members[group.cursor % members.length]!;
  group.cursor += 1;
  return member;
}
