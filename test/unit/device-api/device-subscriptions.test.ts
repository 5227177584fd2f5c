import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLatLon } from '../../../src/device-api/device-place.js';
import { mapDeviceFilter } from '../../../src/device-api/device-subscriptions.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';

test('spec §3.1 device filters map under $dev/{id}/ with QoS ≤ 1', () => {
  for (const filter of ['downlink/#', 'downlink/ds/#', 'downlink/ds/Power', 'downlink/meta/#']) {
    assert.deepEqual(mapDeviceFilter(7, filter), { ok: true, filter: `$dev/7/${filter}`, maxQos: 1 });
  }
});

test('spec §9 forbidden device filters: + → 0xA2, outside downlink/ → 0x87, with a diag', () => {
  const plus = mapDeviceFilter(7, 'downlink/+/Power');
  assert.equal(plus.ok, false);
  assert.equal(!plus.ok && plus.code, ReasonCode.WildcardSubscriptionsNotSupported);
  for (const filter of ['#', 'ds/#', 'downlink', '$dev/8/downlink/#', 'dev/x/downlink/#']) {
    const refused = mapDeviceFilter(7, filter);
    assert.equal(!refused.ok && refused.code, ReasonCode.NotAuthorized, filter);
    // A gateway-style `dev/{token}/` filter is quoted with its token redacted (spec §9 secrets).
    const shown = filter.replace(/^dev\/[^/]+/, 'dev/***');
    assert.equal(!refused.ok && refused.diag, `Subscription to ${JSON.stringify(shown)} not allowed`);
  }
});

test('spec §8 #13 Location metadata text: lat,lon / lat lon / JSON', () => {
  assert.deepEqual(parseLatLon('50.45,30.52'), { lat: 50.45, lon: 30.52 });
  assert.deepEqual(parseLatLon('50.45 30.52'), { lat: 50.45, lon: 30.52 });
  assert.deepEqual(parseLatLon('{"lat":1,"lng":2}'), { lat: 1, lon: 2 });
  assert.equal(parseLatLon(''), undefined);
  assert.equal(parseLatLon('95,10'), undefined);
  assert.equal(parseLatLon('a,b'), undefined);
  assert.equal(parseLatLon('{bad'), undefined);
});
