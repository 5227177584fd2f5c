import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offsetAt, posixRule, utcAnswer } from '../../../src/device-api/time-zone.js';

const MARCH_1_2024 = Date.UTC(2024, 2, 1, 20, 47, 57, 123);

test('spec §3.4 downlink/utc/all/json fields for a DST zone', () => {
  assert.deepEqual(utcAnswer('America/New_York', MARCH_1_2024), {
    tz_name: 'America/New_York',
    tz_rule: 'EST5EDT,M3.2.0,M11.1.0',
    tz_offset: -300,
    dst_offset: 0,
    time: MARCH_1_2024,
    iso8601: '2024-03-01T15:47:57-05:00',
  });
  const july = utcAnswer('Europe/Kyiv', Date.UTC(2024, 6, 1, 12));
  assert.deepEqual(
    [july.tz_rule, july.tz_offset, july.dst_offset, july.iso8601],
    ['EET-2EEST,M3.5.0/3,M10.5.0/4', 120, 60, '2024-07-01T15:00:00+03:00'],
  );
});

test('spec §3.4 POSIX rules: southern hemisphere, half hours, no DST, UTC', () => {
  assert.equal(posixRule('Australia/Sydney', MARCH_1_2024).rule, 'AEST-10AEDT,M10.1.0,M4.1.0/3');
  assert.equal(posixRule('Europe/London', MARCH_1_2024).rule, 'GMT0BST,M3.5.0/1,M10.5.0');
  assert.equal(posixRule('Asia/Kolkata', MARCH_1_2024).rule, 'IST-5:30');
  assert.equal(posixRule('Asia/Tokyo', MARCH_1_2024).rule, '<+09>-9');
  assert.equal(posixRule('UTC', MARCH_1_2024).rule, 'UTC0');
  assert.equal(posixRule('America/St_Johns', MARCH_1_2024).rule, '<-0330>3:30<-0230>,M3.2.0,M11.1.0');
});

test('offsets from Intl, minutes east of UTC', () => {
  assert.equal(offsetAt('Asia/Kolkata', MARCH_1_2024), 330);
  assert.equal(offsetAt('America/Los_Angeles', Date.UTC(2024, 6, 1)), -420);
  assert.equal(offsetAt('UTC', MARCH_1_2024), 0);
});
