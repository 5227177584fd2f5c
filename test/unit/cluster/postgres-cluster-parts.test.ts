import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadNodeReports } from '../../../src/cluster/postgres/dead-node-reports.js';
import {
  ClusterQueryError,
  ClusterSchemaError,
  ClusterUnavailableError,
  isRetryableConflict,
  toClusterError,
} from '../../../src/cluster/postgres/errors.js';
import { membershipTimings } from '../../../src/cluster/postgres/membership-options.js';

const pgError = (code: string, message = `failed with ${code}`) =>
  Object.assign(new Error(message), { code });

test('dead nodes - each expired incarnation is reported once; a node seen alive again is reported at its next death', () => {
  const reports = new DeadNodeReports();
  assert.deepEqual(reports.unreported([{ node: 'a', incarnation: 1 }]), [['a', 1]]);
  assert.deepEqual(reports.unreported([{ node: 'a', incarnation: 1 }]), []);
  assert.deepEqual(
    reports.unreported([
      { node: 'a', incarnation: 1 },
      { node: 'b', incarnation: 4 },
    ]),
    [['b', 4]],
  );
  assert.deepEqual(reports.unreported([{ node: 'b', incarnation: 4 }]), []); // a rejoined
  assert.deepEqual(reports.unreported([{ node: 'a', incarnation: 2 }]), [['a', 2]]);
  assert.deepEqual(reports.unreported([]), []);
  assert.deepEqual(reports.unreported([{ node: 'b', incarnation: 4 }]), [['b', 4]]); // forgotten, back
});

test('cluster errors - SQLSTATEs map to typed errors: connection and availability classes, missing schema, the rest', () => {
  for (const code of ['08006', '57P01', '53300', '40P01', '40001', 'ECONNREFUSED']) {
    const err = toClusterError('claiming', pgError(code));
    assert.ok(err instanceof ClusterUnavailableError, code);
    assert.equal(err.code, 'CLUSTER_UNAVAILABLE');
  }
  const missing = toClusterError('claiming', pgError('42P01', 'relation "cluster_sessions" does not exist'));
  assert.ok(missing instanceof ClusterSchemaError);
  assert.equal(missing.sqlState, '42P01');
  assert.match(missing.message, /^claiming: the cluster tables are missing or outdated/);
  const refused = toClusterError('claiming', pgError('23514'));
  assert.ok(refused instanceof ClusterQueryError);
  assert.equal(refused.sqlState, '23514');
  assert.equal(toClusterError('again', refused), refused);
  assert.equal(toClusterError('x', pgError('ECONNREFUSED')).sqlState, undefined);
  assert.equal(isRetryableConflict(pgError('40P01')), true);
  assert.equal(isRetryableConflict(pgError('23505')), false);
});

test('membership options - defaults; a dead time within one heartbeat and a missing database are refused', () => {
  assert.deepEqual(membershipTimings({ url: 'postgres://x', nodeId: 'a' }), {
    heartbeatMs: 2000,
    deadAfterMs: 10_000,
    forgetAfterMs: 60_000,
  });
  assert.equal(
    membershipTimings({ url: 'postgres://x', nodeId: 'a', deadAfterMs: 20_000 }).forgetAfterMs,
    120_000,
  );
  assert.throws(
    () => membershipTimings({ url: 'postgres://x', nodeId: 'a', heartbeatMs: 500, deadAfterMs: 500 }),
    RangeError,
  );
  assert.throws(() => membershipTimings({ nodeId: 'a' }), TypeError);
});
