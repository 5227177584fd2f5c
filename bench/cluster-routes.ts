/**
 * `RemoteRoutes.match`, measured: what a cluster node pays per PUBLISH to learn which other nodes
 * need the message. Not part of `npm run bench`; prints ns per call.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/cluster-routes.js [--devices 10000] [--calls 2000000]
 *
 * Cases: no remote routes; 10,000 device filters (`$dev/{id}/downlink/#`) on each of 2 nodes,
 * with a topic no route matches and one that matches, each asked repeatedly (the per-topic
 * cache answers) and over 100,000 distinct topics (more than the cache holds: the trie answers).
 */
import { parseArgs } from 'node:util';
import { RemoteRoutes } from '../src/cluster/remote-routes.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '10000' }, calls: { type: 'string', default: '2000000' } },
});
const DEVICES = Number(values.devices);
const CALLS = Number(values.calls);
const DISTINCT = 100_000;

/** ns per call of `match` over `topics` (cycled), after a warm-up of the same length. */
function measure(remote: RemoteRoutes, topics: readonly string[]): number {
  let sink = 0;
  const run = (): void => {
    for (let i = 0; i < CALLS; i++) sink += remote.match(topics[i % topics.length]!).direct.length;
  };
  run();
  const started = process.hrtime.bigint();
  run();
  const elapsed = Number(process.hrtime.bigint() - started);
  if (sink < 0) throw new Error('unreachable');
  return elapsed / CALLS;
}

function fleet(): RemoteRoutes {
  const remote = new RemoteRoutes();
  for (const node of ['n1', 'n2']) {
    const added = [];
    for (let id = 0; id < DEVICES; id++) {
      if (id % 2 === (node === 'n1' ? 0 : 1)) added.push({ filter: `$dev/${id}/downlink/#` });
    }
    remote.apply(node, { added, removed: [] });
  }
  return remote;
}

const distinct = (make: (i: number) => string): string[] =>
  Array.from({ length: DISTINCT }, (_, i) => make(i));

const rows: [string, number][] = [
  ['(a) no remote routes', measure(new RemoteRoutes(), ['$dev/17/uplink/ds/power'])],
  [
    '(b) 10,000 device filters on 2 nodes, miss, one topic (cached)',
    measure(fleet(), ['$dev/17/uplink/ds/power']),
  ],
  [
    '(b) same, miss, 100,000 distinct topics (uncached)',
    measure(
      fleet(),
      distinct((i) => `$dev/${i}/uplink/ds/power`),
    ),
  ],
  ['(c) same, hit, one topic (cached)', measure(fleet(), ['$dev/17/downlink/ds/power'])],
  [
    '(c) same, hit, 100,000 distinct topics (uncached)',
    measure(
      fleet(),
      distinct((i) => `$dev/${i % DEVICES}/downlink/ds/p${i}`),
    ),
  ],
];
process.stdout.write(
  `RemoteRoutes.match, ${DEVICES} device filters, ${CALLS} calls per case (Node ${process.version})\n`,
);
for (const [name, ns] of rows) process.stdout.write(`${ns.toFixed(0).padStart(6)} ns  ${name}\n`);
