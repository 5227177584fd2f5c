import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { MatchCacheLimits } from '../../../src/broker/match-cache.js';
import { type Delivery, Router } from '../../../src/broker/router.js';
import type { Subscription } from '../../../src/broker/subscription.js';
import type { QoS } from '../../../src/mqtt/codec/packet.js';
import { topicMatches } from '../../../src/mqtt/topic/match.js';
import { type Row, rows, sub } from './router-helpers.js';

const clients = ['c0', 'c1', 'c2', 'c3'];
const filters = [
  'a/b',
  'a/+',
  'a/#',
  '#',
  '+',
  '+/b',
  '+/+',
  'a',
  'a/b/c',
  'a//b',
  '$SYS/#',
  '$SYS/x',
  '$share/g/a/b',
  '$share/g/a/+',
  '$share/g/#',
  '$share/h/#',
  '$share/h/+/b',
];
const topics = ['a/b', 'a', 'a/b/c', 'b/b', 'a/c', 'a//b', 'x', '$SYS/x', '$SYS/y/z', 'a/'];

type Op =
  | {
      kind: 'sub';
      client: string;
      filter: string;
      qos: QoS;
      nl: boolean;
      rap: boolean;
      id: number | undefined;
    }
  | { kind: 'unsub'; client: string; filter: string }
  | { kind: 'end'; client: string }
  | { kind: 'online'; client: string; on: boolean }
  | { kind: 'route'; topic: string; publisher: string | undefined };

const client = fc.constantFrom(...clients);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('sub' as const),
      client,
      filter: fc.constantFrom(...filters),
      qos: fc.constantFrom<QoS>(0, 1, 2),
      nl: fc.boolean(),
      rap: fc.boolean(),
      id: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unsub' as const),
      client,
      filter: fc.constantFrom(...filters),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('online' as const), client, on: fc.boolean() }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('route' as const),
      topic: fc.constantFrom(...topics),
      publisher: fc.option(client, { nil: undefined }),
    }),
  },
);

/** Small limits so eviction happens within a run; undefined = the production defaults. */
const limits = fc.constantFrom<MatchCacheLimits | undefined>(
  undefined,
  { maxTopics: 1 },
  { maxTopics: 3 },
  { maxTopics: 4, maxWeight: 6 },
);

/** The subscriptions as Broker keeps them: client → wire filter → subscription. */
type Sessions = Map<string, Map<string, Subscription>>;

/** Direct (non-shared) deliveries computed by brute force over every subscription. */
function bruteForceDirect(sessions: Sessions, topic: string, publisher: string | undefined): Row[] {
  const out: Delivery[] = [];
  for (const [clientId, subs] of sessions) {
    let d:
      | { clientId: string; qos: QoS; retainAsPublished: boolean; subscriptionIds: number[] | undefined }
      | undefined;
    for (const s of subs.values()) {
      if (s.shareName !== undefined || !topicMatches(s.topicFilter, topic)) continue;
      if (s.noLocal && clientId === publisher) continue; // [MQTT-3.8.3-3]
      d ??= { clientId, qos: 0, retainAsPublished: false, subscriptionIds: undefined };
      d.qos = Math.max(d.qos, s.qos) as QoS; // [MQTT-3.3.4-2]
      d.retainAsPublished ||= s.retainAsPublished;
      if (s.subscriptionId !== undefined)
        d.subscriptionIds = [...(d.subscriptionIds ?? []), s.subscriptionId]; // [MQTT-3.3.4-3]
    }
    if (d !== undefined) out.push(d);
  }
  return rows(out);
}

/** Share groups with a member whose filter matches: one delivery each [MQTT-4.8.2-2]. */
function matchingGroups(sessions: Sessions, topic: string): number {
  const groups = new Set<string>();
  for (const subs of sessions.values()) {
    for (const s of subs.values()) {
      if (s.shareName !== undefined && topicMatches(s.topicFilter, topic)) groups.add(s.filter);
    }
  }
  return groups.size;
}

test('the cached router routes exactly like an uncached one, at every step of random subscribe/unsubscribe/route sequences', () => {
  fc.assert(
    fc.property(limits, fc.array(op, { minLength: 1, maxLength: 80 }), (cacheLimits, ops) => {
      const cached = new Router(cacheLimits);
      const reference = new Router({ maxTopics: 0 });
      const sessions: Sessions = new Map(clients.map((c) => [c, new Map()]));
      const offline = new Set<string>();
      const isOnline = (id: string): boolean => !offline.has(id);
      const both = (f: (r: Router) => void): void => {
        f(cached);
        f(reference);
      };
      for (const o of ops) {
        const subs = sessions.get('client' in o ? o.client : '') ?? new Map<string, Subscription>();
        if (o.kind === 'sub') {
          // As Broker.subscribe: the previous subscription on the same filter is replaced [MQTT-3.8.4-3].
          const previous = subs.get(o.filter);
          if (previous !== undefined) both((r) => r.remove(o.client, previous));
          const s = sub(o.filter, o.qos, { nl: o.nl, rap: o.rap, id: o.id });
          subs.set(o.filter, s);
          both((r) => r.add(o.client, s));
        } else if (o.kind === 'unsub') {
          const s = subs.get(o.filter);
          subs.delete(o.filter);
          if (s !== undefined) both((r) => r.remove(o.client, s));
        } else if (o.kind === 'end') {
          for (const s of subs.values()) both((r) => r.remove(o.client, s)); // as Broker.endSession
          subs.clear();
        } else if (o.kind === 'online') {
          if (o.on) offline.delete(o.client);
          else offline.add(o.client);
        } else {
          const got = cached.route(o.topic, o.publisher, isOnline);
          const want = reference.route(o.topic, o.publisher, isOnline);
          assert.deepEqual(got, want, `route ${o.topic} from ${o.publisher}`);
          const shared = matchingGroups(sessions, o.topic);
          assert.deepEqual(
            rows(got.slice(0, got.length - shared)),
            bruteForceDirect(sessions, o.topic, o.publisher),
          );
        }
      }
    }),
    { numRuns: 400 },
  );
});
