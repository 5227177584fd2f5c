import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DailyCounter, DeviceLimits } from '../../../src/device-api/device-limits.js';
import { defaultDeviceApiOptions } from '../../../src/device-api/types.js';
import { DeviceApiMetrics } from '../../../src/observability/device-api-metrics.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const DAY = 86_400_000;
/** Noon UTC of some day: a whole half day either side. */
const NOON = 20_000 * DAY + DAY / 2;

function limits(overrides: Partial<typeof defaultDeviceApiOptions> = {}) {
  const clock = new FakeClock(NOON);
  const metrics = new DeviceApiMetrics();
  const subject = new DeviceLimits({ ...defaultDeviceApiOptions, ...overrides }, clock, metrics);
  return { clock, metrics, limits: subject };
}

test('spec §7.1 daily counter: all or nothing, or partial; a new UTC day starts over', () => {
  const clock = new FakeClock(NOON);
  const counter = new DailyCounter(10, clock);
  assert.equal(counter.take(1, 6), 6);
  assert.equal(counter.take(1, 5), 0, 'all or nothing: 5 do not fit in the 4 left');
  assert.equal(counter.take(1, 5, true), 4, 'partial: what is left');
  assert.equal(counter.take(1, 1, true), 0);
  assert.equal(counter.take(2, 10), 10, 'per key');
  clock.advance(DAY / 2); // midnight UTC
  assert.equal(counter.take(1, 10), 10);
});

test('spec §7.1 daily counter: entries of past days are swept on the first use of a new day', () => {
  const clock = new FakeClock(NOON);
  const counter = new DailyCounter(5, clock);
  for (let key = 0; key < 5000; key++) counter.take(key, 1);
  assert.equal(counter.size, 5000, "today's counts must stay: dropping one would reset it");
  clock.advance(DAY);
  counter.take('tomorrow', 1);
  assert.equal(counter.size, 1);
});

test('spec §7.1 events: 1 s between events of one code, per device; 100 per device per day', () => {
  const { clock, metrics, limits: l } = limits();
  assert.equal(l.event(1, 'alarm'), 'ok');
  assert.equal(l.event(1, 'alarm'), 'interval');
  assert.equal(l.event(1, 'other'), 'ok', 'another code');
  assert.equal(l.event(2, 'alarm'), 'ok', 'another device');
  clock.advance(999);
  assert.equal(l.event(1, 'alarm'), 'interval');
  clock.advance(1);
  assert.equal(l.event(1, 'alarm'), 'ok');
  for (let i = 3; i < 100; i++) assert.equal(l.event(1, `code-${i}`), 'ok', `event ${i}`);
  assert.equal(l.event(1, 'one-more'), 'daily');
  assert.equal(l.event(2, 'one-more'), 'ok', 'device 2 has its own count');
  assert.equal(metrics.eventsLimited, 3);
  clock.advance(DAY);
  assert.equal(l.event(1, 'one-more'), 'ok');
});

test('spec §7.1 events: a refused event does not count, an interval of 0 allows bursts', () => {
  const { limits: l } = limits({ eventsPerDay: 2, eventIntervalMs: 0 });
  assert.equal(l.event(1, 'a'), 'ok');
  assert.equal(l.event(1, 'a'), 'ok');
  assert.equal(l.event(1, 'a'), 'daily');
  const spaced = limits({ eventsPerDay: 2 });
  assert.equal(spaced.limits.event(1, 'a'), 'ok');
  assert.equal(spaced.limits.event(1, 'a'), 'interval');
  assert.equal(spaced.limits.event(1, 'b'), 'ok', 'the refused one did not use the second slot');
});

test('spec §7.1 import points (default 100,000/device/day), update calls, uploads: per device per day', () => {
  const { clock, metrics, limits: l } = limits({ httpUpdatesPerDay: 2, uploadsPerDay: 1 });
  assert.equal(l.options.importPointsPerDay, 100_000);
  assert.equal(l.importPoints(1, 60_000, false), 60_000);
  assert.equal(l.importPoints(1, 50_000, false), 0);
  assert.equal(l.importPoints(1, 50_000, true), 40_000);
  assert.equal(metrics.importPointsLimited, 60_000);
  assert.equal(l.update(1), true);
  assert.equal(l.update(1), true);
  assert.equal(l.update(1), false);
  assert.equal(l.update(2), true);
  assert.equal(l.upload(1), true);
  assert.equal(l.upload(1), false);
  assert.deepEqual([metrics.updatesLimited, metrics.uploadsLimited], [1, 1]);
  clock.advance(DAY);
  assert.equal(l.update(1), true);
  assert.equal(l.upload(1), true);
  assert.equal(l.importPoints(1, 100_000, false), 100_000);
});

test('spec §8 #16 the message rate is one bucket per device; refusals are counted', () => {
  const { clock, metrics, limits: l } = limits({ rateLimitPerSec: 1, rateLimitBurst: 2 });
  assert.deepEqual([l.rate(1), l.rate(1), l.rate(1)], ['ok', 'ok', 'limited']);
  assert.equal(l.rate(2), 'ok');
  assert.equal(metrics.uplinksRateLimited, 1);
  clock.advance(1000);
  assert.equal(l.rate(1), 'ok');
});

test('spec §7.1 bounded memory: idle rate buckets, old event times and past days are swept', () => {
  const { clock, limits: l } = limits({ rateLimitPerSec: 10, rateLimitBurst: 10 });
  for (let id = 1; id <= 3000; id++) {
    l.rate(id);
    l.event(id, 'alarm');
    l.update(id);
    l.importPoints(id, 1, false);
  }
  assert.ok(l.size >= 5 * 3000, `all busy today: ${l.size}`);
  clock.advance(DAY);
  l.rate(1);
  l.event(1, 'alarm');
  l.update(1);
  l.importPoints(1, 1, false);
  l.upload(1);
  assert.ok(l.size <= 10, `${l.size} entries left`);
});
