import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { topicMatches } from '../../../src/mqtt/topic/match.js';
import { SubscriptionTrie } from '../../../src/mqtt/topic/trie.js';
import { matchTable } from './match-table.js';

function matched<V>(trie: SubscriptionTrie<V>, topic: string): string[] {
  const out: string[] = [];
  trie.match(topic, (_value, key, filter) => out.push(`${filter}|${key}`));
  return out.sort();
}

describe('SubscriptionTrie', () => {
  test('agrees with the topicMatches table, one filter at a time', () => {
    for (const [name, filter, topic, expected] of matchTable) {
      const trie = new SubscriptionTrie<number>();
      trie.set(filter, 'k', 1);
      assert.deepEqual(
        matched(trie, topic),
        expected ? [`${filter}|k`] : [],
        `${name}: ${filter} vs ${topic}`,
      );
    }
  });

  test('set returns true for a new entry, false for a replaced one; get reads it back', () => {
    const trie = new SubscriptionTrie<number>();
    assert.equal(trie.set('a/+', 'c1', 1), true);
    assert.equal(trie.set('a/+', 'c2', 2), true);
    assert.equal(trie.set('a/+', 'c1', 3), false);
    assert.equal(trie.size, 2);
    assert.equal(trie.get('a/+', 'c1'), 3);
    assert.equal(trie.get('a/+', 'c3'), undefined);
    assert.equal(trie.get('a', 'c1'), undefined);
    assert.equal(trie.get('a/+/b', 'c1'), undefined);
  });

  test('several keys per filter and several filters per topic are all visited', () => {
    const trie = new SubscriptionTrie<string>();
    trie.set('a/b', 'c1', 'x');
    trie.set('a/b', 'c2', 'y');
    trie.set('a/+', 'c1', 'z');
    trie.set('#', 'c3', 'w');
    trie.set('a/#', 'c4', 'v');
    trie.set('b/#', 'c5', 'u');
    assert.deepEqual(matched(trie, 'a/b'), ['#|c3', 'a/#|c4', 'a/+|c1', 'a/b|c1', 'a/b|c2']);
    const values: string[] = [];
    trie.match('a/b', (value) => values.push(value));
    assert.deepEqual(values.sort(), ['v', 'w', 'x', 'y', 'z']);
  });

  test('[MQTT-4.7.1-2] a/# matches a, and # alone does not match the empty remainder twice', () => {
    const trie = new SubscriptionTrie<number>();
    trie.set('a/#', 'k', 1);
    trie.set('#', 'k', 2);
    assert.deepEqual(matched(trie, 'a'), ['#|k', 'a/#|k']);
  });

  test('[MQTT-4.7.2-1] wildcards in the first level skip $ topics', () => {
    const trie = new SubscriptionTrie<number>();
    for (const filter of ['#', '+/x', '+/#', '$SYS/#', '$SYS/+']) trie.set(filter, 'k', 1);
    assert.deepEqual(matched(trie, '$SYS/x'), ['$SYS/#|k', '$SYS/+|k']);
    assert.deepEqual(matched(trie, 'a/x'), ['#|k', '+/#|k', '+/x|k']);
  });

  test('delete removes one entry, reports whether it existed, and prunes empty nodes', () => {
    const trie = new SubscriptionTrie<number>();
    trie.set('a/b/c', 'k1', 1);
    trie.set('a/b/c', 'k2', 2);
    trie.set('a/+/#', 'k1', 3);
    assert.equal(trie.delete('a/b/c', 'nope'), false);
    assert.equal(trie.delete('x/y', 'k1'), false);
    assert.equal(trie.delete('a/b', 'k1'), false);
    assert.equal(trie.delete('a/b/c', 'k1'), true);
    assert.equal(trie.delete('a/b/c', 'k1'), false);
    assert.deepEqual(matched(trie, 'a/b/c'), ['a/+/#|k1', 'a/b/c|k2']);
    assert.equal(trie.delete('a/b/c', 'k2'), true);
    assert.equal(trie.delete('a/+/#', 'k1'), true);
    assert.equal(trie.size, 0);
    assert.equal(isPruned(trie), true);
  });

  test('deleting a leaf keeps an ancestor that still has entries', () => {
    const trie = new SubscriptionTrie<number>();
    trie.set('a', 'k', 1);
    trie.set('a/b/c', 'k', 2);
    assert.equal(trie.nodeCount, 4);
    trie.delete('a/b/c', 'k');
    assert.equal(trie.nodeCount, 2);
    assert.deepEqual(matched(trie, 'a'), ['a|k']);
    assert.equal(trie.get('a', 'k'), 1);
    trie.delete('a', 'k');
    assert.equal(isPruned(trie), true);
  });

  test('a visitor may delete entries while matching', () => {
    const trie = new SubscriptionTrie<number>();
    trie.set('a', 'k1', 1);
    trie.set('a', 'k2', 2);
    trie.set('#', 'k3', 3);
    const seen: string[] = [];
    trie.match('a', (_v, key, filter) => {
      seen.push(key);
      trie.delete(filter, key);
    });
    assert.deepEqual(seen.sort(), ['k1', 'k2', 'k3']);
    assert.equal(trie.size, 0);
  });

  test('property: match agrees with topicMatches for random filters and topics, through sets and deletes', () => {
    const level = fc.constantFrom('a', 'b', '', '$a', 'ab');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels.slice(0, -1), '#'] : levels).join('/'));
    const ops = fc.array(fc.tuple(filter, fc.constantFrom('k1', 'k2'), fc.boolean()), { maxLength: 30 });
    fc.assert(
      fc.property(ops, fc.array(topic, { minLength: 1, maxLength: 8 }), (operations, topics) => {
        const trie = new SubscriptionTrie<number>();
        const model = new Map<string, Set<string>>();
        for (const [f, key, add] of operations) {
          if (add) {
            trie.set(f, key, 0);
            model.set(f, (model.get(f) ?? new Set()).add(key));
          } else {
            trie.delete(f, key);
            model.get(f)?.delete(key);
          }
        }
        let entries = 0;
        for (const keys of model.values()) entries += keys.size;
        assert.equal(trie.size, entries);
        for (const t of topics) {
          const expected: string[] = [];
          for (const [f, keys] of model) {
            if (topicMatches(f, t)) for (const key of keys) expected.push(`${f}|${key}`);
          }
          assert.deepEqual(matched(trie, t), expected.sort(), `topic ${t}`);
        }
        if (entries === 0) assert.equal(isPruned(trie), true);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Pruned: only the root node is left. */
function isPruned<V>(trie: SubscriptionTrie<V>): boolean {
  return trie.size === 0 && trie.nodeCount === 1;
}
