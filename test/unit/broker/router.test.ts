import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router } from '../../../src/broker/router.js';
import type { Subscription } from '../../../src/broker/subscription.js';
import { online, type Row, rows, sub } from './router-helpers.js';

interface Case {
  readonly name: string;
  readonly subs: ReadonlyArray<readonly [string, Subscription]>;
  readonly topic: string;
  readonly publisher?: string;
  readonly expected: Row[];
}

const cases: Case[] = [
  { name: 'exact match', subs: [['c1', sub('a/b')]], topic: 'a/b', expected: [['c1', 1, false, undefined]] },
  { name: 'no match', subs: [['c1', sub('a/b')]], topic: 'a/c', expected: [] },
  {
    name: '[MQTT-3.3.4-2] overlapping: one delivery at the highest QoS',
    subs: [
      ['c1', sub('a/+', 0)],
      ['c1', sub('a/#', 2)],
      ['c1', sub('a/b', 1)],
    ],
    topic: 'a/b',
    expected: [['c1', 2, false, undefined]],
  },
  {
    name: '[MQTT-3.3.4-3/5] overlapping: every subscription identifier',
    subs: [
      ['c1', sub('a/+', 0, { id: 4 })],
      ['c1', sub('#', 0, { id: 9 })],
      ['c1', sub('a/b', 0)],
    ],
    topic: 'a/b',
    expected: [['c1', 0, false, [4, 9]]],
  },
  {
    name: 'overlapping: Retain As Published if any subscription asks for it',
    subs: [
      ['c1', sub('a/+', 0)],
      ['c1', sub('a/#', 0, { rap: true })],
    ],
    topic: 'a/b',
    expected: [['c1', 0, true, undefined]],
  },
  {
    name: 'different clients get one delivery each',
    subs: [
      ['c1', sub('a/b', 0)],
      ['c2', sub('a/+', 2, { id: 1 })],
    ],
    topic: 'a/b',
    expected: [
      ['c1', 0, false, undefined],
      ['c2', 2, false, [1]],
    ],
  },
  {
    name: '[MQTT-3.8.3-3] No Local skips the publisher only',
    subs: [
      ['c1', sub('t', 1, { nl: true })],
      ['c2', sub('t', 1, { nl: true })],
    ],
    topic: 't',
    publisher: 'c1',
    expected: [['c2', 1, false, undefined]],
  },
  {
    name: '[MQTT-3.8.3-3] No Local on one of two overlapping subscriptions: the other still delivers',
    subs: [
      ['c1', sub('t', 2, { nl: true, id: 1 })],
      ['c1', sub('#', 0, { id: 2 })],
    ],
    topic: 't',
    publisher: 'c1',
    expected: [['c1', 0, false, [2]]],
  },
  {
    name: 'server-originated message (no publisher): No Local does not apply',
    subs: [['c1', sub('t', 1, { nl: true })]],
    topic: 't',
    expected: [['c1', 1, false, undefined]],
  },
  {
    name: '[MQTT-4.7.2-1] # and +/… do not match $ topics; $SYS/# does',
    subs: [
      ['c1', sub('#')],
      ['c2', sub('+/x')],
      ['c3', sub('$SYS/#')],
    ],
    topic: '$SYS/x',
    expected: [['c3', 1, false, undefined]],
  },
  {
    name: '[MQTT-4.8.2-2] a share group yields one delivery',
    subs: [
      ['c1', sub('$share/g/t')],
      ['c2', sub('$share/g/t')],
    ],
    topic: 't',
    expected: [['c1', 1, false, undefined]],
  },
  {
    name: '[MQTT-4.8.2] two share groups and a direct subscription: three deliveries',
    subs: [
      ['c1', sub('$share/g1/t', 0)],
      ['c2', sub('$share/g2/+', 2, { id: 5 })],
      ['c3', sub('t', 1)],
    ],
    topic: 't',
    expected: [
      ['c1', 0, false, undefined],
      ['c2', 2, false, [5]],
      ['c3', 1, false, undefined],
    ],
  },
  {
    name: 'a shared and a direct subscription of one client are not merged',
    subs: [
      ['c1', sub('$share/g/t', 0)],
      ['c1', sub('t', 2)],
    ],
    topic: 't',
    expected: [
      ['c1', 0, false, undefined],
      ['c1', 2, false, undefined],
    ],
  },
];

describe('Router', () => {
  for (const c of cases) {
    test(c.name, () => {
      const router = new Router();
      for (const [clientId, s] of c.subs) router.add(clientId, s);
      assert.deepEqual(rows(router.route(c.topic, c.publisher, online)), c.expected);
    });
  }

  test('[MQTT-3.3.4-2] merging stays exact with many clients (past the small-list fast path)', () => {
    const router = new Router();
    const clients = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const [i, id] of clients.entries()) {
      router.add(id, sub('m/+', 0, { id: i + 1 }));
      router.add(id, sub('m/#', 1, { id: 100 + i }));
      router.add(id, sub('#', 0));
    }
    const out = rows(router.route('m/x', undefined, online));
    assert.deepEqual(
      out,
      clients.map((id, i): Row => [id, 1, false, [i + 1, 100 + i]]),
    );
  });

  test('remove: the client no longer matches; the last member leaving deletes the share group', () => {
    const router = new Router();
    const direct = sub('a/#');
    const shared = sub('$share/g/a/b');
    router.add('c1', direct);
    router.add('c1', shared);
    router.add('c2', shared);
    router.remove('c1', direct);
    router.remove('c1', shared);
    assert.deepEqual(rows(router.route('a/b', undefined, online)), [['c2', 1, false, undefined]]);
    router.remove('c2', shared);
    assert.deepEqual(router.route('a/b', undefined, online), []);
    router.remove('c2', shared); // removing twice is harmless
  });

  test('[MQTT-4.8.2-2] share groups rotate round robin over their members', () => {
    const router = new Router();
    for (const id of ['m1', 'm2', 'm3']) router.add(id, sub('$share/g/job'));
    const picked = Array.from({ length: 6 }, () => router.route('job', undefined, online)[0]?.clientId);
    assert.deepEqual(picked, ['m1', 'm2', 'm3', 'm1', 'm2', 'm3']);
  });

  test('[MQTT-4.8.2-2] offline members are skipped while one is online', () => {
    const router = new Router();
    for (const id of ['m1', 'm2', 'm3']) router.add(id, sub('$share/g/job'));
    const isOnline = (id: string): boolean => id === 'm2';
    const picked = Array.from({ length: 3 }, () => router.route('job', undefined, isOnline)[0]?.clientId);
    assert.deepEqual(picked, ['m2', 'm2', 'm2']);
  });

  test('[MQTT-4.8.2-2] with every member offline the message still goes to one member, rotating', () => {
    const router = new Router();
    for (const id of ['m1', 'm2']) router.add(id, sub('$share/g/job'));
    const offline = (): boolean => false;
    const picked = Array.from({ length: 4 }, () => router.route('job', undefined, offline)[0]?.clientId);
    assert.deepEqual(picked, ['m1', 'm2', 'm1', 'm2']);
  });

  test('the same share name on different filters forms different groups', () => {
    const router = new Router();
    router.add('c1', sub('$share/g/a/+'));
    router.add('c2', sub('$share/g/a/#'));
    assert.deepEqual(
      rows(router.route('a/b', undefined, online)).map((r) => r[0]),
      ['c1', 'c2'],
    );
  });
});
