import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TimerWheel, type WheelEntry } from '../../../src/mqtt/transport/timer-wheel.js';

const TICK_MS = 10;

/** An entry whose deadline calls resolve `fired` with the time of each call; `answer` decides what follows. */
class Probe implements WheelEntry {
  wheelSlot = -1;
  wheelPrev: WheelEntry | undefined;
  wheelNext: WheelEntry | undefined;
  wheelAt = 0;
  readonly calls: number[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly answer: (now: number, call: number) => number = () => -1) {}

  wheelDue(now: number): number {
    this.calls.push(performance.now());
    this.wake?.();
    return this.answer(now, this.calls.length);
  }

  /** Resolves once the entry has been called `n` times. */
  called(n = 1): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.calls.length >= n) resolve();
      };
    });
  }
}

/** Watches `probe` for `ms` (or until tick `at`); returns when the wait started. */
function watch(wheel: TimerWheel, probe: Probe, ms: number, at?: number): number {
  const start = performance.now();
  probe.wheelAt = at ?? wheel.after(ms);
  wheel.insert(probe);
  return start;
}

describe('timer wheel (connect and keepalive deadlines)', () => {
  // The wheel never keeps the process alive (a server's sockets do): these tests hold it open.
  let keeper: NodeJS.Timeout;
  before(() => {
    keeper = setInterval(() => undefined, 1000);
  });
  after(() => clearInterval(keeper));

  test('[MQTT-3.1.2-24] calls an entry at its deadline, never before, at most a few ticks late', async () => {
    const wheel = new TimerWheel({ tickMs: TICK_MS, slots: 64 });
    const probe = new Probe();
    const start = watch(wheel, probe, 50);
    await probe.called();
    const elapsed = probe.calls[0]! - start;
    assert.ok(elapsed >= 50, `called after ${elapsed.toFixed(1)} ms, before its 50 ms deadline`);
    assert.ok(elapsed < 50 + 3 * TICK_MS + 100, `called after ${elapsed.toFixed(1)} ms`);
    assert.equal(wheel.watched, 0, 'an entry answering -1 leaves the wheel');
  });

  test('a deadline that moved: the entry answers its new tick and is called again then', async () => {
    const wheel = new TimerWheel({ tickMs: TICK_MS, slots: 64 });
    const probe = new Probe((now, call) => (call === 1 ? now + 5 : -1));
    watch(wheel, probe, 20);
    await probe.called(2);
    const gap = probe.calls[1]! - probe.calls[0]!;
    assert.ok(gap >= 4 * TICK_MS, `called again after ${gap.toFixed(1)} ms, expected about 5 ticks`);
    assert.equal(wheel.watched, 0);
  });

  test('deadlines further than one revolution are not called early', async () => {
    const wheel = new TimerWheel({ tickMs: TICK_MS, slots: 4 });
    const probe = new Probe();
    const start = watch(wheel, probe, 120); // 3 revolutions of 4 slots
    await probe.called();
    const elapsed = probe.calls[0]! - start;
    assert.ok(elapsed >= 120, `called after ${elapsed.toFixed(1)} ms`);
    assert.equal(probe.calls.length, 1);
  });

  test('a removed entry is never called, also when removed by another entry of the slot being fired', async () => {
    const wheel = new TimerWheel({ tickMs: TICK_MS, slots: 64 });
    const removedEarly = new Probe();
    const removedWhileFiring = new Probe();
    const last = new Probe();
    const first = new Probe(() => {
      wheel.remove(removedWhileFiring);
      return -1;
    });
    // One slot; inserted last = called first (the slot is a stack).
    const at = wheel.after(30);
    for (const probe of [last, removedWhileFiring, removedEarly, first]) watch(wheel, probe, 30, at);
    wheel.remove(removedEarly);
    assert.equal(wheel.watched, 3);
    await Promise.all([first.called(), last.called()]);
    assert.deepEqual([removedEarly.calls.length, removedWhileFiring.calls.length], [0, 0]);
    assert.equal(wheel.watched, 0);
  });

  test('re-inserting a watched entry moves it; removing an unwatched one is a no-op', async () => {
    const wheel = new TimerWheel({ tickMs: TICK_MS, slots: 64 });
    const probe = new Probe();
    wheel.remove(probe);
    watch(wheel, probe, 1000);
    const start = watch(wheel, probe, 20);
    assert.equal(wheel.watched, 1);
    await probe.called();
    assert.ok(probe.calls[0]! - start < 1000);
  });

  test('slots must be a power of 2', () => {
    assert.throws(() => new TimerWheel({ tickMs: TICK_MS, slots: 100 }), RangeError);
  });
});
