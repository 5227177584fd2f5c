import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentOrigins } from '../../../src/broker/recent-origins.js';

test('decision 0029: a moved session takes each message name once; the same count from another node is another message', () => {
  const recent = new RecentOrigins(0);
  assert.equal(recent.firstTime({ node: 'a', seq: 1 }), true);
  assert.equal(recent.firstTime({ node: 'a', seq: 1 }), false);
  assert.equal(recent.firstTime({ node: 'b', seq: 1 }), true);
  assert.equal(recent.firstTime({ node: 'a', seq: 2 }), true);
  // Node ids may hold ':' and digits: the two parts of a name cannot run into each other.
  assert.equal(recent.firstTime({ node: 'n:1', seq: 23 }), true);
  assert.equal(recent.firstTime({ node: 'n:12', seq: 3 }), true);
});

test('decision 0029: the names a moved session remembers are bounded; the oldest go first', () => {
  const recent = new RecentOrigins(0);
  const bound = 65_536;
  for (let seq = 0; seq < bound + 10; seq++) assert.equal(recent.firstTime({ node: 'a', seq }), true);
  // The first ten were forgotten to keep the bound: a copy of them is taken again.
  assert.equal(recent.firstTime({ node: 'a', seq: 0 }), true);
  assert.equal(recent.firstTime({ node: 'a', seq: bound + 9 }), false);
});
