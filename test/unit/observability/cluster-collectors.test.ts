import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { ClusterStats } from '../../../src/observability/cluster-collectors.js';
import { registerClusterCollectors } from '../../../src/observability/cluster-collectors.js';

const stats: ClusterStats = {
  liveNodes: 3,
  fenced: true,
  forwarded: 42,
  received: 7,
  pendingSends: 5,
  droppedSends: 1,
  takeoversIn: 2,
  takeoversOut: 3,
  adoptedSessions: 4,
  droppedRelayedCopies: 6,
  droppedWills: 8,
  failedOwnershipBatches: 9,
  droppedReleases: 10,
};

test('decision 0029: /metrics exports the node’s view of the cluster as devgate_cluster_* gauges and counters', async () => {
  const registry = new Registry();
  registerClusterCollectors(registry, () => stats);
  const text = await registry.metrics();
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(line !== undefined, `${name} is exported`);
    return Number(line.split(' ')[1]);
  };
  assert.equal(value('devgate_cluster_nodes'), 3);
  assert.equal(value('devgate_cluster_fenced'), 1);
  assert.equal(value('devgate_cluster_pending_sends'), 5);
  assert.equal(value('devgate_cluster_forwarded_total'), 42);
  assert.equal(value('devgate_cluster_received_total'), 7);
  assert.equal(value('devgate_cluster_dropped_sends_total'), 1);
  assert.equal(value('devgate_cluster_takeovers_in_total'), 2);
  assert.equal(value('devgate_cluster_takeovers_out_total'), 3);
  assert.equal(value('devgate_cluster_adopted_sessions_total'), 4);
  assert.equal(value('devgate_cluster_relayed_copies_dropped_total'), 6);
  assert.equal(value('devgate_cluster_wills_dropped_total'), 8);
  assert.equal(value('devgate_cluster_ownership_batches_failed_total'), 9);
  assert.equal(value('devgate_cluster_releases_dropped_total'), 10);
});

test('decision 0029: before the cluster runtime exists, its counters read 0 (the drop counters included)', async () => {
  const registry = new Registry();
  registerClusterCollectors(registry, () => undefined);
  const text = await registry.metrics();
  for (const name of [
    'devgate_cluster_relayed_copies_dropped_total',
    'devgate_cluster_wills_dropped_total',
    'devgate_cluster_ownership_batches_failed_total',
    'devgate_cluster_releases_dropped_total',
  ]) {
    assert.ok(text.split('\n').includes(`${name} 0`), `${name} is exported as 0`);
  }
});
