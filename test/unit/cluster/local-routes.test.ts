import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LocalRoutes } from '../../../src/cluster/local-routes.js';
import type { RouteChange } from '../../../src/cluster/types.js';

function recorder(): { local: LocalRoutes; changes: RouteChange[] } {
  const changes: RouteChange[] = [];
  return { local: new LocalRoutes((change) => changes.push(change)), changes };
}

const device = { filter: '$dev/17/downlink/#' };
const group = { filter: 'a/+/c', share: 'g' };

test('the first local subscriber announces a route, the last one withdraws it, once per turn', async () => {
  const { local, changes } = recorder();
  local.add(device);
  local.add(device);
  local.add(group);
  assert.equal(changes.length, 0, 'batched until the next loop turn');
  await nextTurn();
  assert.deepEqual(changes, [{ added: [device, group], removed: [] }]);
  local.remove(device);
  await nextTurn();
  assert.equal(changes.length, 1, 'a second subscriber remains: nothing to announce');
  local.remove(device);
  await nextTurn();
  assert.deepEqual(changes[1], { added: [], removed: [device] });
  assert.deepEqual(local.snapshot(), [group]);
});

test('an add and a remove of the same route in one batch cancel out, in either order', async () => {
  const { local, changes } = recorder();
  local.add(device);
  local.remove(device);
  await nextTurn();
  assert.deepEqual(changes, []);
  local.add(group);
  await nextTurn();
  local.remove(group);
  local.add(group);
  local.remove(group);
  local.add(group);
  await nextTurn();
  assert.deepEqual(changes, [{ added: [group], removed: [] }]);
});

test('a share group is a different route from the same filter without a share, and from another share name', async () => {
  const { local, changes } = recorder();
  local.add({ filter: 'a/+/c' });
  local.add({ filter: 'a/+/c', share: 'g' });
  local.add({ filter: 'a/+/c', share: 'h' });
  local.remove({ filter: 'a/+/c', share: 'h' });
  local.flush();
  assert.deepEqual(changes, [{ added: [{ filter: 'a/+/c' }, { filter: 'a/+/c', share: 'g' }], removed: [] }]);
  assert.equal(local.size, 2);
});

test('removing a route that has no local subscriber is ignored', async () => {
  const { local, changes } = recorder();
  local.remove(device);
  local.add(device);
  local.remove(device);
  local.remove(device);
  local.add(device);
  await nextTurn();
  assert.deepEqual(changes, [{ added: [device], removed: [] }], 'the count did not go negative');
});

test('memory is one entry per distinct route: 100,000 subscribe/unsubscribe cycles leave nothing behind', async () => {
  const { local, changes } = recorder();
  for (let i = 0; i < 100_000; i++) {
    const route = { filter: `$dev/${i}/downlink/#` };
    local.add(route);
    local.remove(route);
  }
  await nextTurn();
  assert.equal(local.size, 0);
  assert.deepEqual(changes, []);
});

test('snapshot holds routes whose change is still pending, and routes are copied (extra fields dropped)', () => {
  const { local } = recorder();
  local.add({ filter: 'x/y', share: undefined, qos: 1 } as never);
  assert.deepEqual(local.snapshot(), [{ filter: 'x/y' }]);
  assert.ok(Object.isFrozen(local.snapshot()[0]));
  local.flush();
});
