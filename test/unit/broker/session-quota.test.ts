import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionQuota } from '../../../src/broker/session-quota.js';

const alice = { clientId: 'c', credential: 'user:alice' };

test('sessions per credential: counted per credential; a replacement by the same credential needs no room', () => {
  const quota = new SessionQuota(2);
  assert.equal(quota.allows(alice, undefined), true);
  quota.move(undefined, 'user:alice');
  quota.move(undefined, 'user:alice');
  assert.equal(quota.allows(alice, undefined), false, 'a third session');
  assert.equal(quota.allows(alice, 'user:alice'), true, 'takeover of one of its own');
  assert.equal(
    quota.allows(alice, 'user:bob'),
    false,
    "taking over another credential's session is a new one",
  );
  assert.equal(quota.allows({ clientId: 'x', credential: 'user:bob' }, undefined), true);
  quota.move('user:alice', 'user:bob');
  assert.equal(quota.count('user:alice'), 1);
  assert.equal(quota.count('user:bob'), 1);
  quota.move('user:alice', undefined);
  assert.equal(quota.count('user:alice'), 0);
});

test('sessions per credential: no credential (anonymous) and a cap of 0 are never refused', () => {
  const quota = new SessionQuota(1);
  quota.move(undefined, 'user:alice');
  assert.equal(quota.allows({ clientId: 'anon' }, undefined), true);
  const open = new SessionQuota(0);
  open.move(undefined, 'user:alice');
  assert.equal(open.allows(alice, undefined), true);
});
