import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey } from '../../../src/auth/throttle/address-key.js';
import {
  type AuthAttempt,
  AuthThrottle,
  type AuthThrottleOptions,
  oauthClientCredential,
} from '../../../src/auth/throttle/auth-throttle.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const RULES: AuthThrottleOptions = {
  perAddress: { burst: 5, refillMs: 10_000 },
  perCredential: { burst: 20, refillMs: 30_000 },
  maxEntries: 1000,
};

function world(options: Partial<AuthThrottleOptions> = {}) {
  const clock = new FakeClock();
  const warnings: Record<string, unknown>[] = [];
  const log = { warn: (fields: Record<string, unknown>) => void warnings.push(fields) };
  const throttle = new AuthThrottle({ ...RULES, ...options }, clock, log);
  return { clock, warnings, throttle };
}

const from = (address: string, credential?: string): AuthAttempt => ({
  channel: 'mqtt',
  address,
  credential,
});

/** Fails `times` times from `attempt` (each checked first, as callers do); returns how many were allowed. */
function guess(throttle: AuthThrottle, attempt: AuthAttempt, times: number): number {
  let allowed = 0;
  for (let i = 0; i < times; i++) {
    if (!throttle.check(attempt).allowed) continue;
    allowed++;
    throttle.failed(attempt);
  }
  return allowed;
}

describe('failed-login throttle (decision 0009)', () => {
  test('an address gets its burst of failures, then is refused until one refills', () => {
    const { clock, throttle } = world();
    const attacker = from('10.0.0.1');
    assert.equal(guess(throttle, attacker, 50), 5);
    const verdict = throttle.check(attacker);
    assert.equal(verdict.allowed, false);
    assert.ok(!verdict.allowed && verdict.scope === 'address' && verdict.retryAfterMs === 10_000);
    clock.advance(9_999);
    assert.equal(throttle.check(attacker).allowed, false);
    clock.advance(1);
    assert.equal(guess(throttle, attacker, 10), 1, 'one failure regained per refill interval');
  });

  test('refused attempts are not failures: a throttled address does not extend its own lockout', () => {
    const { clock, throttle } = world();
    const attacker = from('10.0.0.1');
    guess(throttle, attacker, 5);
    for (let i = 0; i < 1000; i++) throttle.check(attacker);
    clock.advance(10_000);
    assert.equal(throttle.check(attacker).allowed, true);
  });

  test('checks in flight count against an address that has failed, so concurrent guesses cannot all pass', () => {
    const { throttle } = world();
    const attacker = from('10.0.0.1');
    throttle.check(attacker);
    throttle.failed(attacker); // 4 left
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (throttle.check(attacker).allowed) admitted++;
    assert.equal(admitted, 4);
    for (let i = 0; i < 4; i++) throttle.failed(attacker);
    assert.equal(throttle.check(attacker).allowed, false);
  });

  test('an address without failures is never refused, however many logins it runs at once; ended checks free their place', () => {
    const { throttle } = world();
    const fleet = from('10.0.0.9');
    for (let i = 0; i < 1000; i++) assert.equal(throttle.check(fleet).allowed, true);
    for (let i = 0; i < 1000; i++) throttle.succeeded(fleet);
    throttle.check(fleet);
    throttle.failed(fleet);
    throttle.check(fleet);
    throttle.released(fleet); // a server error: neither a failure nor a success
    assert.equal(guess(throttle, fleet, 10), 4);
  });

  test('a check whose end is never reported stops counting after a minute', () => {
    const { clock, throttle } = world({ perAddress: { burst: 2, refillMs: 3_600_000 } });
    const attacker = from('10.0.0.1');
    throttle.check(attacker);
    throttle.failed(attacker); // 1 left
    assert.equal(throttle.check(attacker).allowed, true); // never ended
    assert.equal(throttle.check(attacker).allowed, false);
    clock.advance(60_000);
    assert.equal(throttle.check(attacker).allowed, true);
  });

  test('a legitimate client from another address is never slowed by one guessing address', () => {
    const { throttle } = world();
    const client = oauthClientCredential('client-a');
    guess(throttle, from('10.0.0.1', client), 1000);
    assert.deepEqual(throttle.check(from('10.0.0.2', client)), { allowed: true });
  });

  test('distributed guessing at one client id: each failing address gets at most one failure once the client is under attack', () => {
    const { throttle } = world();
    const client = oauthClientCredential('client-a');
    let allowed = 0;
    for (let round = 0; round < 5; round++)
      for (let host = 1; host <= 100; host++) allowed += guess(throttle, from(`10.0.1.${host}`, client), 1);
    // 20 failures empty the client's bucket; then each of the 100 addresses fails once more at most.
    assert.ok(allowed <= 20 + 100, `allowed ${allowed}`);
    const verdict = throttle.check(from('10.0.1.1', client));
    assert.ok(!verdict.allowed && verdict.scope === 'credential');
    // The real client, which never failed, still gets in from its own address.
    assert.equal(throttle.check(from('192.0.2.7', client)).allowed, true);
    // Other client ids are not affected.
    assert.equal(throttle.check(from('10.0.1.1', oauthClientCredential('client-b'))).allowed, true);
  });

  test('a success forgets that its address failed against the client id', () => {
    const { throttle } = world({ perCredential: { burst: 1, refillMs: 60_000 } });
    const client = oauthClientCredential('client-a');
    const real = from('192.0.2.7', client);
    throttle.failed(real); // a typo empties the (tiny) per-client bucket
    assert.equal(throttle.check(real).allowed, false);
    throttle.succeeded(real);
    assert.equal(throttle.check(real).allowed, true);
  });

  test('the warning names the address once per window, not per attempt, and never the credential', () => {
    const { clock, throttle, warnings } = world();
    const attacker = from('10.0.0.1', oauthClientCredential('secret-looking-id'));
    guess(throttle, attacker, 100);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.remoteAddress, '10.0.0.1');
    assert.doesNotMatch(JSON.stringify(warnings), /secret-looking-id/);
    clock.advance(50_000); // burst × refill: the window
    guess(throttle, attacker, 100);
    assert.equal(warnings.length, 2);
  });

  test('counters: failures by channel, refusals by channel and scope', () => {
    const { throttle } = world();
    guess(throttle, from('10.0.0.1'), 7);
    guess(throttle, { channel: 'http', address: '10.0.0.2' }, 6);
    assert.equal(throttle.counts.failures.get('mqtt'), 5);
    assert.equal(throttle.counts.failures.get('http'), 5);
    assert.equal(throttle.counts.refused.get('mqtt/address'), 2);
    assert.equal(throttle.counts.refused.get('http/address'), 1);
  });

  test('bounded memory: a flood of source addresses never grows a table past maxEntries', () => {
    const { throttle } = world({ maxEntries: 100 });
    const client = oauthClientCredential('client-a');
    for (let i = 0; i < 10_000; i++) throttle.failed(from(`10.${(i >> 8) & 255}.${i & 255}.1`, client));
    assert.ok(throttle.size <= 4 * 100, `size ${throttle.size}`);
  });

  test('entries whose bucket refilled are dropped when looked at', () => {
    const { clock, throttle } = world();
    guess(throttle, from('10.0.0.1'), 1);
    assert.equal(throttle.size, 1);
    clock.advance(10_000);
    assert.equal(throttle.check(from('10.0.0.1')).allowed, true);
    throttle.released(from('10.0.0.1'));
    assert.equal(throttle.size, 0);
  });

  test('burst 0 turns throttling off', () => {
    const { throttle } = world({ perAddress: { burst: 0, refillMs: 10_000 } });
    assert.equal(throttle.enabled, false);
    assert.equal(guess(throttle, from('10.0.0.1'), 100), 100);
    assert.equal(throttle.size, 0);
  });

  test('address keys: IPv4-mapped addresses unwrap, IPv6 hosts count per /64', () => {
    assert.equal(addressKey('::ffff:127.0.0.2'), '127.0.0.2');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:bbbb::9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey(undefined), 'unknown');
  });
});
