import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partsCpu } from '../../../bench/brokers/devgate-cluster.js';
import { appliesTo, clusterFlowCases } from '../../../bench/scenarios/cluster.js';
import { clusterReport } from '../../../bench/scenarios/cluster-report.js';

test('bench cluster: CPU shares per part over a span; a PostgreSQL backend seen at one end only is not counted', () => {
  const before = {
    at: 0,
    nodes: [1, 2, 3],
    redis: 5,
    postgres: new Map([
      [10, 1],
      [11, 4],
    ]),
  };
  const after = {
    at: 2000,
    nodes: [2, 2.5, 3],
    redis: 5.2,
    postgres: new Map([
      [10, 1.5],
      [12, 9],
    ]),
  };
  const cpu = partsCpu(before, after);
  assert.deepEqual(cpu.nodes.map(Math.round), [50, 25, 0]);
  assert.equal(Math.round(cpu.nodesTotal), 75);
  assert.equal(Math.round(cpu.redis), 10);
  assert.equal(Math.round(cpu.postgres), 25);
});

test('bench cluster: 1 → 1 has no two-thirds-remote topology, the fan cases have all three', () => {
  const cases = clusterFlowCases(100);
  const p2p = cases.find((c) => c.id === 'p2p-q1')!;
  const fanin = cases.find((c) => c.id === 'fanin-q1')!;
  assert.equal(appliesTo(p2p, 'two-thirds-remote'), false);
  assert.equal(appliesTo(p2p, 'all-remote'), true);
  assert.equal(appliesTo(fanin, 'two-thirds-remote'), true);
});

test('bench cluster: the report projects 3 nodes as 3 × their deliveries per node CPU-second ÷ one node', () => {
  const flow = (topology: 'one-node' | 'all-remote', perNodeCpuSecond: number) => ({
    kind: 'flow' as const,
    case: 'fanin-q1',
    name: 'fan-in 100 → 1, QoS 1',
    topology,
    nodes: topology === 'one-node' ? 1 : 3,
    perNodeCpuSecond,
  });
  const report = clusterReport([flow('one-node', 30_000), flow('all-remote', 25_000)]);
  const row = report.split('\n').find((line) => line.startsWith('| fan-in 100 → 1, QoS 1 |'))!;
  assert.match(row, /\| 30,000 \| 25,000 \| 2\.50x \|/);
});
