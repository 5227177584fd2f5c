import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiagThrottle } from '../../../src/device-api/diag-throttle.js';
import { KeyedRateLimiter, TokenBucket } from '../../../src/device-api/rate-limiter.js';
import { FakeClock } from '../../helpers/fake-clock.js';

test('spec §8 #16 token bucket: burst, then the rate', () => {
  const bucket = new TokenBucket(50, 100, 0);
  for (let i = 0; i < 100; i++) assert.equal(bucket.take(0), true);
  assert.equal(bucket.take(0), false);
  assert.equal(bucket.take(19), false); // 0.95 tokens
  assert.equal(bucket.take(20), true); // 1 token after 20 ms at 50/s
  assert.equal(bucket.isFull(20), false);
  assert.equal(bucket.isFull(10_000), true);
});

test('spec §3.7 flooding: continuous excess for floodMs, reset by a calm second', () => {
  const clock = new FakeClock(0);
  const limiter = new KeyedRateLimiter({ ratePerSec: 1, burst: 1, floodMs: 2000, clock });
  assert.equal(limiter.take(7), 'ok');
  assert.equal(limiter.take(7), 'limited');
  clock.advance(900);
  assert.equal(limiter.take(7), 'limited');
  clock.advance(900);
  assert.equal(limiter.take(7), 'ok'); // refilled, but the run of excess is not over
  assert.equal(limiter.take(7), 'limited');
  clock.advance(300);
  assert.equal(limiter.take(7), 'flood'); // excess since t=0, now t=2100
  // Another key is independent.
  assert.equal(limiter.take(8), 'ok');
  // A calm period ends the run.
  clock.advance(5000);
  assert.equal(limiter.take(7), 'ok');
  assert.equal(limiter.take(7), 'limited');
});

test('per-key state is bounded: idle keys are swept', () => {
  const clock = new FakeClock(0);
  const limiter = new KeyedRateLimiter({ ratePerSec: 10, burst: 10, floodMs: 1000, clock });
  for (let key = 0; key < 1024; key++) limiter.take(key);
  assert.equal(limiter.size, 1024);
  clock.advance(10_000);
  limiter.take('new');
  assert.equal(limiter.size, 1);
  limiter.forget('new');
  assert.equal(limiter.size, 0);
});

test('spec §8 #1 diag throttle: one per key per interval', () => {
  const clock = new FakeClock(0);
  const throttle = new DiagThrottle(1000, clock);
  assert.equal(throttle.allow(1), true);
  assert.equal(throttle.allow(1), false);
  assert.equal(throttle.allow(2), true);
  clock.advance(999);
  assert.equal(throttle.allow(1), false);
  clock.advance(1);
  assert.equal(throttle.allow(1), true);
  const off = new DiagThrottle(0, clock);
  assert.equal(off.allow(1), true);
  assert.equal(off.allow(1), true);
});

test('spec §8 #16 keys that keep sending keep their state: no sweep after every 1,024 new keys', () => {
  const clock = new FakeClock(0);
  const limiter = new KeyedRateLimiter({ ratePerSec: 1000, burst: 10, floodMs: 1000, clock });
  const keys = 3000;
  const sizes: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (let key = 0; key < keys; key++) {
      clock.advance(1); // every bucket refills between two of its messages: all look idle
      assert.equal(limiter.take(key), 'ok');
    }
    sizes.push(limiter.size);
  }
  // Sweeps at 1,024 and 2,048 keys; then the map may grow to twice that, and the busy keys stay.
  assert.deepEqual(sizes.slice(2), [keys, keys]);
});
