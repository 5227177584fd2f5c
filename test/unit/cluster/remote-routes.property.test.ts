import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type RemoteMatch, RemoteRoutes } from '../../../src/cluster/remote-routes.js';
import type { Route } from '../../../src/cluster/types.js';
import { topicMatches } from '../../../src/mqtt/topic/match.js';

const nodes = ['n1', 'n2', 'n3'];
const routes: readonly Route[] = [
  { filter: 'a/b' },
  { filter: 'a/+' },
  { filter: 'a/#' },
  { filter: '#' },
  { filter: '+/b' },
  { filter: '$dev/1/downlink/#' },
  { filter: '$dev/+/downlink/#' },
  { filter: 'a/b', share: 'g' },
  { filter: 'a/+', share: 'g' },
  { filter: '#', share: 'g' },
  { filter: 'a/#', share: 'h' },
];
const topics = ['a/b', 'a', 'a/c', 'b/b', 'a/b/c', '$dev/1/downlink/ds/x', '$dev/2/downlink/ds/x', 'x'];

type Op =
  | { kind: 'add' | 'remove'; node: string; route: Route }
  | { kind: 'reset'; node: string; routes: Route[] }
  | { kind: 'drop'; node: string }
  | { kind: 'match'; topic: string };

const node = fc.constantFrom(...nodes);
const route = fc.constantFrom(...routes);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), node, route }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), node, route }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('reset' as const), node, routes: fc.subarray([...routes]) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), node }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('match' as const), topic: fc.constantFrom(...topics) }),
  },
);

function canonical(match: RemoteMatch): string {
  const direct = [...match.direct].sort();
  const groups = match.groups.map((g) => `${g.route.share}|${g.route.filter}=${[...g.nodes].sort()}`).sort();
  return JSON.stringify({ direct, groups });
}

/** The answer straight from the model: every node's route set, matched one route at a time. */
function modelMatch(model: Map<string, Map<string, Route>>, topic: string): string {
  const direct = new Set<string>();
  const groups = new Map<string, Set<string>>();
  for (const [n, held] of model) {
    for (const r of held.values()) {
      if (!topicMatches(r.filter, topic)) continue;
      if (r.share === undefined) direct.add(n);
      else {
        const key = `${r.share}|${r.filter}`;
        groups.set(key, (groups.get(key) ?? new Set()).add(n));
      }
    }
  }
  return JSON.stringify({
    direct: [...direct].sort(),
    groups: [...groups].map(([key, members]) => `${key}=${[...members].sort()}`).sort(),
  });
}

const keyOf = (r: Route): string => `${r.share ?? ''}|${r.filter}`;

test('property: cached, uncached and a brute-force model give the same answer after any change sequence', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const cached = new RemoteRoutes({ maxTopics: 4 }); // small: eviction is exercised too
      const uncached = new RemoteRoutes({ maxTopics: 0 });
      const model = new Map<string, Map<string, Route>>();
      for (const o of ops) {
        if (o.kind === 'match') {
          const expected = modelMatch(model, o.topic);
          assert.equal(canonical(cached.match(o.topic)), expected, `cached ${o.topic}`);
          assert.equal(canonical(uncached.match(o.topic)), expected, `uncached ${o.topic}`);
          continue;
        }
        for (const remote of [cached, uncached]) {
          if (o.kind === 'add') remote.apply(o.node, { added: [o.route], removed: [] });
          else if (o.kind === 'remove') remote.apply(o.node, { added: [], removed: [o.route] });
          else if (o.kind === 'reset') remote.reset(o.node, o.routes);
          else remote.dropNode(o.node);
        }
        if (o.kind === 'drop') model.delete(o.node);
        else if (o.kind === 'reset') model.set(o.node, new Map(o.routes.map((r) => [keyOf(r), r])));
        else {
          const held = model.get(o.node) ?? new Map<string, Route>();
          model.set(o.node, held);
          if (o.kind === 'add') held.set(keyOf(o.route), o.route);
          else held.delete(keyOf(o.route));
        }
      }
    }),
    { numRuns: 400 },
  );
});
