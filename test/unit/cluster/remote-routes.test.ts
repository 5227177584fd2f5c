import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RemoteMatch, RemoteRoutes } from '../../../src/cluster/remote-routes.js';
import type { Route } from '../../../src/cluster/types.js';

/** A match as plain sorted data, so tables compare without caring about visit order. */
function plain(match: RemoteMatch): { direct: string[]; groups: string[] } {
  return {
    direct: [...match.direct].sort(),
    groups: match.groups
      .map((g) => `${g.route.share}|${g.route.filter}=${[...g.nodes].sort().join(',')}`)
      .sort(),
  };
}

const add = (...added: Route[]) => ({ added, removed: [] });

interface Row {
  readonly why: string;
  readonly routes: Record<string, readonly Route[]>;
  readonly topic: string;
  readonly direct: readonly string[];
  readonly groups?: readonly string[];
}

const rows: readonly Row[] = [
  { why: 'exact filter', routes: { n1: [{ filter: 'a/b' }] }, topic: 'a/b', direct: ['n1'] },
  { why: 'exact filter, other topic', routes: { n1: [{ filter: 'a/b' }] }, topic: 'a/c', direct: [] },
  { why: '+ matches one level', routes: { n1: [{ filter: 'a/+/c' }] }, topic: 'a/x/c', direct: ['n1'] },
  { why: '+ does not match two levels', routes: { n1: [{ filter: 'a/+/c' }] }, topic: 'a/x/y/c', direct: [] },
  { why: '+ matches an empty level', routes: { n1: [{ filter: 'a/+/c' }] }, topic: 'a//c', direct: ['n1'] },
  {
    why: '# matches the parent level [MQTT-4.7.1-2]',
    routes: { n1: [{ filter: 'a/#' }] },
    topic: 'a',
    direct: ['n1'],
  },
  { why: '# matches any depth', routes: { n2: [{ filter: 'a/#' }] }, topic: 'a/b/c/d', direct: ['n2'] },
  { why: '# alone matches everything', routes: { n1: [{ filter: '#' }] }, topic: 'x/y', direct: ['n1'] },
  {
    why: '# does not match a $ topic [MQTT-4.7.2-1]',
    routes: { n1: [{ filter: '#' }] },
    topic: '$dev/17/downlink/ds/x',
    direct: [],
  },
  {
    why: '+ first does not match a $ topic [MQTT-4.7.2-1]',
    routes: { n1: [{ filter: '+/17/downlink/#' }] },
    topic: '$dev/17/downlink/ds/x',
    direct: [],
  },
  {
    why: 'a $ filter matches a $ topic',
    routes: { n1: [{ filter: '$dev/17/downlink/#' }], n2: [{ filter: '$dev/+/downlink/#' }] },
    topic: '$dev/17/downlink/ds/x',
    direct: ['n1', 'n2'],
  },
  {
    why: 'one copy per node however many of its filters match',
    routes: { n1: [{ filter: 'a/b' }, { filter: 'a/+' }, { filter: '#' }], n2: [{ filter: 'a/#' }] },
    topic: 'a/b',
    direct: ['n1', 'n2'],
  },
  {
    why: 'a share group lists its member nodes',
    routes: { n1: [{ filter: 'a/+', share: 'g' }], n2: [{ filter: 'a/+', share: 'g' }] },
    topic: 'a/b',
    direct: [],
    groups: ['g|a/+=n1,n2'],
  },
  {
    why: 'share groups of the same name on different filters are different groups',
    routes: {
      n1: [{ filter: 'a/+', share: 'g' }],
      n2: [
        { filter: 'a/#', share: 'g' },
        { filter: 'a/+', share: 'g' },
      ],
    },
    topic: 'a/b',
    direct: [],
    groups: ['g|a/#=n2', 'g|a/+=n1,n2'],
  },
  {
    why: 'a share group and a plain subscription on one filter',
    routes: { n1: [{ filter: 'a/b', share: 'g' }], n2: [{ filter: 'a/b' }] },
    topic: 'a/b',
    direct: ['n2'],
    groups: ['g|a/b=n1'],
  },
  {
    why: 'a shared # does not match a $ topic [MQTT-4.7.2-1]',
    routes: { n1: [{ filter: '#', share: 'g' }] },
    topic: '$SYS/x',
    direct: [],
  },
];

for (const row of rows) {
  for (const cached of [true, false]) {
    test(`match: ${row.why} (${cached ? 'cached' : 'uncached'})`, () => {
      const remote = new RemoteRoutes(cached ? undefined : { maxTopics: 0 });
      for (const [node, routes] of Object.entries(row.routes)) remote.apply(node, add(...routes));
      const expected = { direct: [...row.direct].sort(), groups: [...(row.groups ?? [])].sort() };
      assert.deepEqual(plain(remote.match(row.topic)), expected);
      assert.deepEqual(plain(remote.match(row.topic)), expected, 'asked twice');
    });
  }
}

test('a topic nothing matches gets the same frozen empty answer, with or without routes', () => {
  const remote = new RemoteRoutes();
  const none = remote.match('a/b');
  assert.deepEqual(plain(none), { direct: [], groups: [] });
  assert.ok(Object.isFrozen(none) && Object.isFrozen(none.direct));
  remote.apply('n1', add({ filter: 'x/y' }));
  assert.equal(remote.match('a/b'), none);
});

test('a cached answer is dropped when a route on a matching filter changes', () => {
  const remote = new RemoteRoutes();
  remote.apply('n1', add({ filter: 'a/b' }));
  assert.deepEqual(plain(remote.match('a/b')).direct, ['n1']);
  remote.apply('n2', add({ filter: 'a/+' }));
  assert.deepEqual(plain(remote.match('a/b')).direct, ['n1', 'n2']);
  remote.apply('n1', { added: [], removed: [{ filter: 'a/b' }] });
  assert.deepEqual(plain(remote.match('a/b')).direct, ['n2']);
  remote.apply('n3', add({ filter: 'a/b', share: 'g' }));
  assert.deepEqual(plain(remote.match('a/b')).groups, ['g|a/b=n3']);
  remote.apply('n3', { added: [], removed: [{ filter: 'a/b', share: 'g' }] });
  assert.deepEqual(plain(remote.match('a/b')), { direct: ['n2'], groups: [] });
});

test('dropNode removes every route of that node, and only those', () => {
  const remote = new RemoteRoutes();
  remote.apply('n1', add({ filter: 'a/#' }, { filter: 'a/b', share: 'g' }));
  remote.apply('n2', add({ filter: 'a/b' }, { filter: 'a/b', share: 'g' }));
  assert.deepEqual(plain(remote.match('a/b')), { direct: ['n1', 'n2'], groups: ['g|a/b=n1,n2'] });
  remote.dropNode('n1');
  assert.deepEqual(plain(remote.match('a/b')), { direct: ['n2'], groups: ['g|a/b=n2'] });
  assert.deepEqual(remote.nodes(), ['n2']);
  assert.equal(remote.size, 2);
  remote.dropNode('n2');
  remote.dropNode('n3');
  assert.deepEqual(plain(remote.match('a/b')), { direct: [], groups: [] });
  assert.equal(remote.size, 0);
});

test('reset replaces a node set: gone routes removed, new ones added, others untouched', () => {
  const remote = new RemoteRoutes();
  remote.apply('n1', add({ filter: 'a/1' }, { filter: 'a/2' }, { filter: 'a/+', share: 'g' }));
  remote.apply('n2', add({ filter: 'a/1' }));
  remote.reset('n1', [{ filter: 'a/2' }, { filter: 'a/3' }]);
  assert.deepEqual(plain(remote.match('a/1')), { direct: ['n2'], groups: [] });
  assert.deepEqual(plain(remote.match('a/2')), { direct: ['n1'], groups: [] });
  assert.deepEqual(plain(remote.match('a/3')), { direct: ['n1'], groups: [] });
  assert.deepEqual(
    remote.routesOf('n1').map((r) => r.filter),
    ['a/2', 'a/3'],
  );
  remote.reset('n1', []);
  assert.deepEqual(remote.nodes().sort(), ['n1', 'n2'], 'a node with an empty set is still known');
  assert.equal(remote.size, 1);
});

test('applying the same change twice is idempotent (a reload may overlap buffered changes)', () => {
  const remote = new RemoteRoutes();
  const change = { added: [{ filter: 'a/b' }, { filter: 'a/b', share: 'g' }], removed: [] };
  remote.apply('n1', change);
  remote.apply('n1', change);
  assert.equal(remote.size, 2);
  assert.deepEqual(plain(remote.match('a/b')), { direct: ['n1'], groups: ['g|a/b=n1'] });
  remote.apply('n1', { added: [], removed: [{ filter: 'a/b' }] });
  remote.apply('n1', { added: [], removed: [{ filter: 'a/b' }] });
  assert.deepEqual(plain(remote.match('a/b')), { direct: [], groups: ['g|a/b=n1'] });
});
