import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  VERIFY_CACHE_MAX,
  VERIFY_CACHE_TTL_MS,
  VerifyCache,
} from '../../../../src/platform/oauth/verify-cache.js';
import { FakeClock } from '../../../helpers/channel-harness.js';

test('spec §2.2 verify cache - an entry lives 60 s', () => {
  const clock = new FakeClock();
  const cache = new VerifyCache(() => clock.now());
  const key = VerifyCache.key('id', 'secret');
  cache.set(key, 'id', 'hash');
  clock.advance(VERIFY_CACHE_TTL_MS - 1);
  assert.equal(cache.get(key)?.value, 'hash');
  clock.advance(1);
  assert.equal(cache.get(key), undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped when met');
});

test('spec §2.2 verify cache - bounded to 1000 entries, least recently used goes first', () => {
  const clock = new FakeClock();
  const cache = new VerifyCache(() => clock.now());
  assert.equal(VERIFY_CACHE_MAX, 1000);
  for (let i = 0; i < VERIFY_CACHE_MAX; i++) cache.set(`k${i}`, `c${i}`, 'h');
  assert.ok(cache.get('k0'), 'k0 touched: now the youngest');
  cache.set('new', 'c-new', 'h');
  assert.equal(cache.size, VERIFY_CACHE_MAX);
  assert.equal(cache.get('k1'), undefined, 'the oldest untouched entry was evicted');
  assert.ok(cache.get('k0'));
  assert.ok(cache.get('new'));
});

test('spec §2.2 verify cache - invalidate drops every entry of one client', () => {
  const cache = new VerifyCache(() => 0);
  cache.set('a1', 'a', 'h');
  cache.set('a2', 'a', 'h');
  cache.set('b1', 'b', 'h');
  cache.invalidate('a');
  assert.equal(cache.get('a1'), undefined);
  assert.equal(cache.get('a2'), undefined);
  assert.ok(cache.get('b1'));
});

test('spec §2.2 verify cache - keys never collide across the id/secret split and hide the secret', () => {
  assert.notEqual(VerifyCache.key('ab', 'c'), VerifyCache.key('a', 'bc'));
  assert.match(VerifyCache.key('id', 'secret'), /^[0-9a-f]{64}$/);
  assert.ok(!VerifyCache.key('id', 'secret').includes('secret'));
});

test('bearer entries: never kept past the token expiry the caller gives, nor past the cache TTL', () => {
  const clock = {
    t: 0,
    now() {
      return this.t;
    },
  };
  const cache = new VerifyCache<{ orgId: number }>(() => clock.now(), 10, 5000);
  cache.set('short', 'c', { orgId: 1 }, 1000);
  cache.set('long', 'c', { orgId: 1 }, 60_000);
  clock.t = 1000;
  assert.equal(cache.get('short'), undefined, 'the token expired');
  assert.deepEqual(cache.get('long')?.value, { orgId: 1 });
  clock.t = 5000;
  assert.equal(cache.get('long'), undefined, 'the cache TTL bounds it');
});
