import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_CACHED_TOPIC_LENGTH, MAX_CACHED_TOPICS, MatchCache } from '../../../src/broker/match-cache.js';
import { type Delivery, Router } from '../../../src/broker/router.js';
import { online, rows, sub } from './router-helpers.js';

/** Routes once so the topic is cached, and checks it is. */
function cached(router: Router, topic: string): readonly Delivery[] {
  const before = router.cachedTopics;
  const out = router.route(topic, undefined, online);
  assert.ok(router.cachedTopics >= Math.min(before + 1, MAX_CACHED_TOPICS), `${topic} cached`);
  return out;
}

describe('Router match cache: invalidation', () => {
  for (const filter of ['a/b', 'a/+', 'a/#', '#', '+/b', '$share/g/a/b', '$share/g/#']) {
    test(`a subscription on ${filter} added after a/b was cached receives the next message`, () => {
      const router = new Router();
      router.add('c1', sub('a/b', 0));
      assert.deepEqual(rows(cached(router, 'a/b')), [['c1', 0, false, undefined]]);
      router.add('c2', sub(filter, 1));
      assert.deepEqual(rows(router.route('a/b', undefined, online)), [
        ['c1', 0, false, undefined],
        ['c2', 1, false, undefined],
      ]);
    });

    test(`unsubscribing from ${filter} after a/b was cached stops its deliveries`, () => {
      const router = new Router();
      const s = sub(filter, 1);
      router.add('c1', sub('a/b', 0));
      router.add('c2', s);
      assert.equal(cached(router, 'a/b').length, 2);
      router.remove('c2', s);
      assert.deepEqual(rows(router.route('a/b', undefined, online)), [['c1', 0, false, undefined]]);
    });
  }

  test('[MQTT-3.8.4-3] replacing a subscription (new QoS and identifier) changes the cached delivery', () => {
    const router = new Router();
    const first = sub('a/+', 0, { id: 1 });
    router.add('c1', first);
    assert.deepEqual(rows(cached(router, 'a/x')), [['c1', 0, false, [1]]]);
    router.remove('c1', first); // as Broker.subscribe replaces: remove the previous, add the new
    router.add('c1', sub('a/+', 2, { id: 7, rap: true }));
    assert.deepEqual(rows(router.route('a/x', undefined, online)), [['c1', 2, true, [7]]]);
  });

  test('[MQTT-3.3.4-2/3] a second overlapping subscription merges into the cached delivery', () => {
    const router = new Router();
    router.add('c1', sub('a/+', 0, { id: 1 }));
    cached(router, 'a/x');
    router.add('c1', sub('#', 2, { id: 2 }));
    assert.deepEqual(rows(router.route('a/x', undefined, online)), [['c1', 2, false, [1, 2]]]);
  });

  test('a literal filter change keeps the other cached topics; a wildcard drops only what it matches', () => {
    const router = new Router();
    router.add('c1', sub('#'));
    for (const topic of ['a/x', 'a/y', 'b/x']) cached(router, topic);
    router.add('c2', sub('a/x'));
    assert.equal(router.cachedTopics, 2);
    router.add('c2', sub('+/y'));
    assert.equal(router.cachedTopics, 1);
    assert.deepEqual(rows(router.route('a/y', undefined, online)).length, 2);
    assert.deepEqual(rows(router.route('b/x', undefined, online)), [['c1', 1, false, undefined]]);
  });

  test('with many topics cached, a wildcard change still gives exact answers (the cache is cleared)', () => {
    const router = new Router();
    router.add('c1', sub('t/+'));
    for (let i = 0; i < 100; i++) cached(router, `t/${i}`);
    router.add('c2', sub('t/#', 0));
    assert.ok(router.cachedTopics < 100);
    for (let i = 0; i < 100; i++) assert.equal(router.route(`t/${i}`, undefined, online).length, 2);
  });
});

describe('Router match cache: per-message rules on a cached topic', () => {
  test('[MQTT-3.8.3-3] No Local: the publisher is skipped, other publishers still reach it', () => {
    const router = new Router();
    router.add('c1', sub('t', 2, { nl: true, id: 1 }));
    router.add('c1', sub('#', 0, { id: 2 }));
    router.add('c2', sub('t', 1, { nl: true }));
    const all = [
      ['c1', 2, false, [1, 2]],
      ['c2', 1, false, undefined],
    ];
    assert.deepEqual(rows(router.route('t', 'c3', online)), all);
    assert.deepEqual(rows(router.route('t', 'c1', online)), [
      ['c1', 0, false, [2]],
      ['c2', 1, false, undefined],
    ]);
    assert.deepEqual(rows(router.route('t', 'c2', online)), [['c1', 2, false, [1, 2]]]);
    assert.deepEqual(rows(router.route('t', undefined, online)), all);
    assert.deepEqual(rows(router.route('t', 'c3', online)), all);
  });

  test('[MQTT-4.8.2-2] share groups still pick one member per message, round robin', () => {
    const router = new Router();
    for (const id of ['m1', 'm2', 'm3']) router.add(id, sub('$share/g/job'));
    router.add('d', sub('job', 0));
    const picked = Array.from({ length: 6 }, () => {
      const out = router.route('job', undefined, online);
      assert.equal(out.length, 2);
      return out[1]?.clientId;
    });
    assert.deepEqual(picked, ['m1', 'm2', 'm3', 'm1', 'm2', 'm3']);
    assert.equal(router.cachedTopics, 1);
    const offline = new Set(['m1']);
    assert.deepEqual(
      Array.from({ length: 2 }, () => router.route('job', undefined, (id) => !offline.has(id))[1]?.clientId),
      ['m2', 'm3'],
    );
  });

  test('cached deliveries are frozen: a caller cannot change what later messages get', () => {
    const router = new Router();
    router.add('c1', sub('a/+', 1, { id: 3 }));
    router.add('c1', sub('a/#', 0, { id: 4 }));
    cached(router, 'a/b');
    const out = router.route('a/b', undefined, online) as Delivery[];
    assert.throws(() => out.push(out[0]!), TypeError);
    assert.throws(() => {
      (out[0] as { qos: number }).qos = 0;
    }, TypeError);
    assert.throws(() => (out[0]!.subscriptionIds as number[]).push(9), TypeError);
    assert.deepEqual(rows(router.route('a/b', undefined, online)), [['c1', 1, false, [3, 4]]]);
  });
});

describe('Router match cache: bounds', () => {
  test(`at most MAX_CACHED_TOPICS (${MAX_CACHED_TOPICS}) topics, answers exact after eviction`, () => {
    const router = new Router();
    router.add('c1', sub('d/+'));
    for (let i = 0; i < 2 * MAX_CACHED_TOPICS; i++) {
      assert.equal(router.route(`d/${i}`, undefined, online).length, 1);
      assert.ok(router.cachedTopics <= MAX_CACHED_TOPICS);
    }
    assert.equal(router.route('d/0', undefined, online).length, 1);
    assert.equal(router.route('e/0', undefined, online).length, 0);
  });

  test('a topic longer than MAX_CACHED_TOPIC_LENGTH is matched every time, not cached', () => {
    const router = new Router();
    router.add('c1', sub('#'));
    const topic = 'x'.repeat(MAX_CACHED_TOPIC_LENGTH + 1);
    assert.equal(router.route(topic, undefined, online).length, 1);
    assert.equal(router.cachedTopics, 0);
  });

  test('the total weight stays under its limit; an entry heavier than the limit is not kept', () => {
    const cache = new MatchCache<string>({ maxTopics: 100, maxWeight: 100 });
    for (let i = 0; i < 50; i++) {
      cache.set(`t/${i}`, `e${i}`, 30);
      assert.ok(cache.weight <= 100);
    }
    assert.equal(cache.get('t/49'), 'e49');
    assert.equal(cache.get('t/0'), undefined);
    cache.set('big', 'x', 101);
    assert.equal(cache.get('big'), undefined);
    assert.ok(cache.weight <= 100);
  });

  test('admission pauses while most lookups miss, keeps serving hits, then resumes', () => {
    const cache = new MatchCache<number>({ maxTopics: 10 });
    for (let i = 0; i < 10; i++) cache.set(`hot/${i}`, i, 1);
    let n = 0;
    while (cache.admitting) {
      if (cache.get(`cold/${n}`) === undefined) cache.set(`cold/${n}`, n, 1);
      n++;
      assert.ok(n <= 4096, 'paused after one window of misses');
    }
    assert.equal(cache.get(`cold/${n - 1}`), n - 1, 'entries kept before the pause still answer');
    let lookups = 0;
    while (!cache.admitting) {
      cache.get(`cold/${n - 1}`);
      lookups++;
    }
    assert.ok(lookups > 4096 && lookups <= 17 * 4096, `resumed after ${lookups} lookups`);
  });

  test('with the cache off (maxTopics 0) nothing is cached', () => {
    const router = new Router({ maxTopics: 0 });
    router.add('c1', sub('#'));
    assert.equal(router.route('a', undefined, online).length, 1);
    assert.equal(router.cachedTopics, 0);
  });
});
