import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadAverage } from '../../../src/observability/load-average.js';

const byWindow = (load: LoadAverage): Record<string, number> => Object.fromEntries(load.values());

test('$SYS load: a steady rate converges to that rate per minute in every window', () => {
  const load = new LoadAverage();
  for (let i = 0; i < 2000; i++) load.update(5, 10); // 5 events per 10 s = 30 per minute
  for (const [window, perMinute] of load.values()) assert.ok(Math.abs(perMinute - 30) < 0.01, window);
});

test('$SYS load: after a burst the 1 min average decays fastest, and by e after one window', () => {
  const load = new LoadAverage();
  load.update(60, 60); // one minute at 60 per minute
  const burst = byWindow(load);
  assert.ok(burst['1min']! > burst['5min']! && burst['5min']! > burst['15min']!);
  assert.ok(Math.abs(burst['1min']! - 60 * (1 - Math.exp(-1))) < 1e-9);
  load.update(0, 60); // a quiet minute
  const quiet = byWindow(load);
  assert.ok(Math.abs(quiet['1min']! - burst['1min']! * Math.exp(-1)) < 1e-9);
  assert.ok(quiet['15min']! < burst['15min']!);
});

test('$SYS load: irregular update intervals weigh by elapsed time (two 5 s steps equal one 10 s step)', () => {
  const split = new LoadAverage();
  split.update(3, 5);
  split.update(3, 5);
  const whole = new LoadAverage();
  whole.update(6, 10);
  for (const [[window, a], [, b]] of split.values().map((v, i) => [v, whole.values()[i]!] as const)) {
    assert.ok(Math.abs(a - b) < 1e-9, window);
  }
  const unchanged = new LoadAverage();
  unchanged.update(10, 0); // no time passed: ignored
  assert.deepEqual(byWindow(unchanged), { '1min': 0, '5min': 0, '15min': 0 });
});
