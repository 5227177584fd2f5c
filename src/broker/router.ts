import type { QoS } from '../mqtt/codec/packet.js';
import { SubscriptionTrie } from '../mqtt/topic/trie.js';
import { MAX_CACHED_TOPIC_LENGTH, MatchCache, type MatchCacheLimits } from './match-cache.js';
import type { BrokerMessage } from './message.js';
import type { Subscription } from './subscription.js';

/**
 * One message copy for one session, after overlapping subscriptions are merged. Read-only (and
 * frozen when it comes from the cache): the same object is handed out for every message on a topic.
 */
export interface Delivery {
  readonly clientId: string;
  readonly qos: QoS;
  readonly retainAsPublished: boolean;
  readonly subscriptionIds: readonly number[] | undefined;
  /**
   * A share group's pick: one per group and message in the whole cluster, so never a second copy
   * of a direct delivery (a session with both takes both [MQTT-4.8.2]).
   */
  readonly shared?: true;
}

/** The copy of `message` one delivery gets. */
export function copyFor(message: BrokerMessage, d: Delivery): BrokerMessage {
  const qos = Math.min(message.qos, d.qos) as QoS; // [MQTT-3.8.4-8] downgrade to granted QoS
  const retain = d.retainAsPublished && message.retain; // [MQTT-3.3.1-12/13]
  return qos === message.qos && retain === message.retain ? message : { ...message, qos, retain };
}

/** A delivery while overlapping subscriptions are merged into it. */
interface DraftDelivery {
  readonly clientId: string;
  qos: QoS;
  retainAsPublished: boolean;
  subscriptionIds: number[] | undefined;
}

interface ShareGroup {
  readonly share: string;
  readonly filter: string;
  readonly members: Map<string, Subscription>;
  cursor: number;
}

/**
 * Which share groups a routing call delivers to: in a cluster, a group with members on several
 * nodes delivers on the one node the publisher picked (decision 0029).
 */
export type GroupSelector = (share: string, filter: string) => boolean;

/** What a topic matches, as long as no subscription on a matching filter changes. */
interface Matched {
  /** Non-shared deliveries with No Local ignored (it depends on the publisher); frozen. */
  readonly direct: readonly Delivery[];
  /** Clients with a matching No Local subscription: a message they publish is matched afresh. */
  readonly noLocal: ReadonlySet<string> | undefined;
  /** Matching share groups; a member is picked per message [MQTT-4.8.2-2]. */
  readonly groups: readonly ShareGroup[] | undefined;
}

const shareKey = (shareName: string): string => `$share/${shareName}`;

/**
 * The subscription index: filter → sessions. Overlapping non-shared subscriptions of one session
 * yield one delivery at the highest QoS carrying every subscription identifier [MQTT-3.3.4-2/3/5];
 * each share group yields one delivery to one member [MQTT-4.8.2-2]. What a topic matches is
 * cached per topic and dropped whenever a subscription on a filter matching it is added or removed.
 */
export class Router {
  private readonly direct = new SubscriptionTrie<Subscription>();
  private readonly shared = new SubscriptionTrie<ShareGroup>();
  private readonly cache: MatchCache<Matched>;

  /** `cache` limits: `{ maxTopics: 0 }` turns the cache off (the reference in tests). */
  constructor(cache?: MatchCacheLimits) {
    this.cache = new MatchCache(cache);
  }

  /** Topics whose match result is cached (a gauge for tests and metrics). */
  get cachedTopics(): number {
    return this.cache.size;
  }

  add(clientId: string, sub: Subscription): void {
    this.cache.invalidate(sub.topicFilter);
    if (sub.shareName === undefined) {
      this.direct.set(sub.topicFilter, clientId, sub);
      return;
    }
    const key = shareKey(sub.shareName);
    let group = this.shared.get(sub.topicFilter, key);
    if (group === undefined) {
      group = { share: sub.shareName, filter: sub.topicFilter, members: new Map(), cursor: 0 };
      this.shared.set(sub.topicFilter, key, group);
    }
    group.members.set(clientId, sub);
  }

  remove(clientId: string, sub: Subscription): void {
    this.cache.invalidate(sub.topicFilter);
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

  /**
   * Deliveries for a message on `topic`; `isOnline` steers share groups to connected members.
   * The result and its deliveries must not be modified: they may be the cached ones.
   */
  route(
    topic: string,
    publisherId: string | undefined,
    isOnline: (clientId: string) => boolean,
    skipGroup?: GroupSelector,
  ): readonly Delivery[] {
    if (!this.cache.enabled || topic.length > MAX_CACHED_TOPIC_LENGTH) {
      return this.routeUncached(topic, publisherId, isOnline, skipGroup);
    }
    let matched = this.cache.get(topic);
    if (matched === undefined) {
      if (!this.cache.admitting) return this.routeUncached(topic, publisherId, isOnline, skipGroup);
      matched = this.matchAndCache(topic);
    }
    const direct =
      publisherId !== undefined && matched.noLocal?.has(publisherId) === true
        ? this.matchDirect(topic, publisherId, undefined)
        : matched.direct;
    if (matched.groups === undefined) return direct;
    const out = direct.slice();
    for (const group of matched.groups)
      if (skipGroup?.(group.share, group.filter) !== true) pickInto(out, group, isOnline);
    return out;
  }

  /** True when the share group `$share/{share}/{filter}` has a member here. */
  hasGroup(share: string, filter: string): boolean {
    return this.shared.get(filter, shareKey(share)) !== undefined;
  }

  /**
   * Deliveries for a message another node forwarded: its non-shared subscribers when `direct`
   * (only those in `directOnlyTo` when given), and one member of each of `groups` that the
   * publisher's node picked this node for.
   */
  routeForwarded(
    topic: string,
    publisherId: string | undefined,
    isOnline: (clientId: string) => boolean,
    direct: boolean,
    groups: readonly { readonly share?: string; readonly filter: string }[] | undefined,
    directOnlyTo?: ReadonlySet<string>,
  ): readonly Delivery[] {
    const matched: Delivery[] = direct ? this.matchDirect(topic, publisherId, undefined) : [];
    const out = directOnlyTo === undefined ? matched : matched.filter((d) => directOnlyTo.has(d.clientId));
    for (const { share, filter } of groups ?? []) {
      if (share === undefined) continue;
      const group = this.shared.get(filter, shareKey(share));
      if (group !== undefined) pickInto(out, group, isOnline);
    }
    return out;
  }

  /** The walk without the cache: every message matches the tries afresh. */
  private routeUncached(
    topic: string,
    publisherId: string | undefined,
    isOnline: (clientId: string) => boolean,
    skipGroup: GroupSelector | undefined,
  ): Delivery[] {
    const out: Delivery[] = this.matchDirect(topic, publisherId, undefined);
    this.shared.match(topic, (group) => {
      if (skipGroup?.(group.share, group.filter) !== true) pickInto(out, group, isOnline);
    });
    return out;
  }

  private matchAndCache(topic: string): Matched {
    const noLocal: string[] = [];
    const direct = this.matchDirect(topic, undefined, noLocal);
    let groups: ShareGroup[] | undefined;
    this.shared.match(topic, (group) => {
      groups ??= [];
      groups.push(group);
    });
    for (const d of direct) {
      if (d.subscriptionIds !== undefined) Object.freeze(d.subscriptionIds);
      Object.freeze(d);
    }
    const matched: Matched = {
      direct: Object.freeze(direct),
      noLocal: noLocal.length === 0 ? undefined : new Set(noLocal),
      groups,
    };
    this.cache.set(topic, matched, direct.length + (groups?.length ?? 0) + 1);
    return matched;
  }

  /**
   * Non-shared deliveries, one per client. Subscriptions with No Local are skipped for
   * `publisherId` [MQTT-3.8.3-3]; their clients are listed in `noLocal` when it is given.
   */
  private matchDirect(
    topic: string,
    publisherId: string | undefined,
    noLocal: string[] | undefined,
  ): DraftDelivery[] {
    const out: DraftDelivery[] = [];
    let byClient: Map<string, DraftDelivery> | undefined;
    this.direct.match(topic, (sub, clientId) => {
      if (sub.noLocal) {
        if (clientId === publisherId) return;
        noLocal?.push(clientId);
      }
      const existing =
        byClient?.get(clientId) ?? (out.length < 8 ? out.find((d) => d.clientId === clientId) : undefined);
      if (existing === undefined) {
        const delivery = deliveryOf(clientId, sub);
        out.push(delivery);
        if (out.length >= 8) {
          byClient ??= new Map(out.map((d) => [d.clientId, d]));
          byClient.set(clientId, delivery);
        }
        return;
      }
      mergeInto(existing, sub);
    });
    return out;
  }
}

function deliveryOf(clientId: string, sub: Subscription): DraftDelivery {
  return {
    clientId,
    qos: sub.qos,
    retainAsPublished: sub.retainAsPublished,
    subscriptionIds: sub.subscriptionId === undefined ? undefined : [sub.subscriptionId],
  };
}

function mergeInto(delivery: DraftDelivery, sub: Subscription): void {
  if (sub.qos > delivery.qos) delivery.qos = sub.qos;
  if (sub.retainAsPublished) delivery.retainAsPublished = true;
  if (sub.subscriptionId !== undefined) {
    delivery.subscriptionIds ??= [];
    delivery.subscriptionIds.push(sub.subscriptionId);
  }
}

/** Appends the group's pick for this message, if it has a member. */
function pickInto(out: Delivery[], group: ShareGroup, isOnline: (clientId: string) => boolean): void {
  const member = pickMember(group, isOnline);
  if (member !== undefined) out.push({ ...deliveryOf(member[0], member[1]), shared: true });
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
