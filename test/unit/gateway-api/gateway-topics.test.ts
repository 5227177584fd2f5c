import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeviceBook } from '../../../src/gateway-api/device-book.js';
import {
  classifyFilter,
  isDownlink,
  prefixedTopic,
  splitPrefixed,
} from '../../../src/gateway-api/gateway-topics.js';
import { TokenBucket } from '../../../src/lib/token-bucket.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';

const T = 'ObArJM-PmArETx2gCEQxYqRri8CidcdL';

describe('gateway topic grammar (spec §4.1)', () => {
  test('spec §4.1 dev/{token}/<uplink> splits into token and device-relative topic', () => {
    assert.deepEqual(splitPrefixed(`dev/${T}/ds/Set Temperature`), {
      token: T,
      relative: 'ds/Set Temperature',
    });
    assert.deepEqual(splitPrefixed(`dev/${T}/batch_ds`), { token: T, relative: 'batch_ds' });
    assert.deepEqual(splitPrefixed(`dev/${T}`), { token: T, relative: '' });
    assert.deepEqual(splitPrefixed('dev//ds/x'), { token: '', relative: 'ds/x' });
    assert.equal(splitPrefixed('ds/Power'), undefined);
    assert.equal(splitPrefixed('device/x'), undefined);
    assert.equal(prefixedTopic(T, 'downlink/ds/Power'), `dev/${T}/downlink/ds/Power`);
  });

  const cases: Array<[string, ReturnType<typeof classifyFilter>]> = [
    [`dev/${T}/downlink/#`, { kind: 'device', token: T, relative: 'downlink/#' }],
    [`dev/${T}/#`, { kind: 'device', token: T, relative: 'downlink/#' }],
    [`dev/${T}/downlink/ds/Power`, { kind: 'device', token: T, relative: 'downlink/ds/Power' }],
    [`dev/${T}/downlink`, { kind: 'device', token: T, relative: 'downlink' }],
    ['downlink/#', { kind: 'own' }],
    ['ds/Power', { kind: 'own' }],
  ];
  for (const [filter, expected] of cases) {
    test(`spec §4.1 allowed filter ${filter.replace(T, '{token}')}`, () => {
      assert.deepEqual(classifyFilter(filter), expected);
    });
  }

  const refused: Array<[string, ReasonCode]> = [
    ['#', ReasonCode.WildcardSubscriptionsNotSupported],
    ['+/downlink/#', ReasonCode.WildcardSubscriptionsNotSupported],
    ['+', ReasonCode.WildcardSubscriptionsNotSupported],
    ['dev/#', ReasonCode.WildcardSubscriptionsNotSupported],
    ['dev/+/downlink/ds/Temperature', ReasonCode.WildcardSubscriptionsNotSupported],
    ['dev/+/#', ReasonCode.WildcardSubscriptionsNotSupported],
    [`dev/${T}/+/ds`, ReasonCode.WildcardSubscriptionsNotSupported],
    [`dev/${T}/downlink/+/Power`, ReasonCode.WildcardSubscriptionsNotSupported],
    [`dev/${T}/ds/#`, ReasonCode.NotAuthorized],
    [`dev/${T}`, ReasonCode.NotAuthorized],
    ['dev', ReasonCode.NotAuthorized],
  ];
  for (const [filter, code] of refused) {
    test(`spec §4.1/§3.7 forbidden filter ${filter.replace(T, '{token}')} → 0x${code.toString(16)}`, () => {
      const got = classifyFilter(filter);
      assert.equal(got.kind, 'refused');
      if (got.kind === 'refused') {
        assert.equal(got.code, code);
        assert.ok(!got.diag.includes(T), 'a diag never echoes a token');
      }
    });
  }

  test('only downlink topics are delivered to gateways', () => {
    assert.equal(isDownlink('downlink/ds/Power'), true);
    assert.equal(isDownlink('downlink'), true);
    assert.equal(isDownlink('downlinks/x'), false);
    assert.equal(isDownlink('ds/Power'), false);
  });
});

describe('gateway rate limit token bucket (spec §9 gateway limits)', () => {
  test('allows `burst` at once, then the rate; 0 means unlimited', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 10, () => now);
    for (let i = 0; i < 10; i++) assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    now += 100; // 1 token
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    now += 60_000; // refills to burst only
    for (let i = 0; i < 10; i++) assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    const unlimited = new TokenBucket(0, 0, () => now);
    for (let i = 0; i < 1000; i++) assert.equal(unlimited.take(), true);
  });
});

describe('gateway device book (per connection token ↔ device id)', () => {
  test('publish-only tokens are bounded, least recently used first', () => {
    const book = new DeviceBook(3);
    book.noteUse('t1', 1);
    book.noteUse('t2', 2);
    book.noteUse('t3', 3);
    book.noteUse('t1', 1); // t1 is now the most recent
    book.noteUse('t4', 4);
    assert.equal(book.size, 3);
    assert.equal(book.tokenFor(2), undefined);
    assert.equal(book.tokenFor(1), 't1');
    assert.equal(book.tokenFor(4), 't4');
  });

  test('subscribed tokens stay whatever the publish traffic; revoke returns their filters', () => {
    const book = new DeviceBook(2);
    book.addFilter('s1', 10, 'dev/s1/#');
    book.addFilter('s1', 10, 'dev/s1/downlink/ds/Power');
    for (let i = 0; i < 10; i++) book.noteUse(`p${i}`, 100 + i);
    assert.equal(book.tokenFor(10), 's1');
    assert.equal(book.filterCount, 2);
    assert.deepEqual(book.revoke('s1').sort(), ['dev/s1/#', 'dev/s1/downlink/ds/Power']);
    assert.equal(book.tokenFor(10), undefined);
    assert.equal(book.filterCount, 0);
  });

  test('prune drops filters the broker no longer has; the token becomes publish-only', () => {
    const book = new DeviceBook(10);
    book.addFilter('s1', 10, 'a');
    book.addFilter('s2', 20, 'b');
    book.prune((filter) => filter === 'b');
    assert.equal(book.filterCount, 1);
    assert.deepEqual(book.subscribedTokens(), [{ token: 's2', deviceId: 20 }]);
    assert.equal(book.tokenFor(10), 's1');
  });

  test('diag throttle per token', () => {
    const book = new DeviceBook();
    book.noteUse('t1', 1);
    assert.equal(book.mayDiag('t1', 1000, 1000), true);
    assert.equal(book.mayDiag('t1', 1500, 1000), false);
    assert.equal(book.mayDiag('t1', 2000, 1000), true);
    assert.equal(book.mayDiag('unknown', 5000, 1000), false);
  });
});
