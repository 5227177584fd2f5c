import type { Clock } from '../lib/clock.js';
import type { DeviceApiMetrics } from '../observability/device-api-metrics.js';
import { KeyedRateLimiter, type RateVerdict } from './rate-limiter.js';
import type { DeviceApiOptions } from './types.js';

const DAY_MS = 86_400_000;
/** Maps are swept once they grow past this (and past twice their last swept size)… */
const SWEEP_FLOOR = 1024;
/** …and at least this often while they are used, so idle entries do not wait for growth. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Per-key counts of one UTC day (spec §7.1 "…/device/day"). A key's count must live until its day
 * ends (dropping it earlier would hand out a fresh allowance), so entries of past days are what
 * the sweep removes: the map holds at most the keys that were active today.
 */
export class DailyCounter {
  private readonly counts = new Map<number | string, { day: number; count: number }>();
  private sweepAt = SWEEP_FLOOR;
  /** The day of the last sweep: the first use on a new day drops every entry of the old ones. */
  private sweptDay = -1;

  constructor(
    readonly limit: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes `wanted` from the key's allowance of today and answers how many were granted: all or
   * nothing, or with `partial` as many as are left.
   */
  take(key: number | string, wanted: number, partial = false): number {
    const day = Math.floor(this.clock.now() / DAY_MS);
    if (day !== this.sweptDay || this.counts.size >= this.sweepAt) this.sweep(day);
    let entry = this.counts.get(key);
    if (entry === undefined || entry.day !== day) {
      entry = { day, count: 0 };
      this.counts.set(key, entry);
    }
    const left = Math.max(0, this.limit - entry.count);
    const granted = partial ? Math.min(left, wanted) : wanted <= left ? wanted : 0;
    entry.count += granted;
    return granted;
  }

  get size(): number {
    return this.counts.size;
  }

  private sweep(day: number): void {
    for (const [key, entry] of this.counts) if (entry.day !== day) this.counts.delete(key);
    this.sweptDay = day;
    this.sweepAt = Math.max(SWEEP_FLOOR, this.counts.size * 2);
  }
}

/** `daily`: the device's events of today are used up; `interval`: the same code came too soon. */
export type EventVerdict = 'ok' | 'daily' | 'interval';

/** spec §7.1 events: at most `perDay` per device per day, and `intervalMs` between events of one code. */
class EventLimiter {
  private readonly daily: DailyCounter;
  /** Last accepted event per device and code; older than the interval means nothing. */
  private readonly last = new Map<string, number>();
  private sweepAt = SWEEP_FLOOR;
  private sweptAt: number;

  constructor(
    perDay: number,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {
    this.daily = new DailyCounter(perDay, clock);
    this.sweptAt = clock.now();
  }

  take(deviceId: number, code: string): EventVerdict {
    const now = this.clock.now();
    const key = `${deviceId}\0${code}`;
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return 'interval';
    if (this.daily.take(deviceId, 1) === 0) return 'daily';
    if (this.last.size >= this.sweepAt || now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
    this.last.set(key, now);
    return 'ok';
  }

  get size(): number {
    return this.daily.size + this.last.size;
  }

  private sweep(now: number): void {
    for (const [key, at] of this.last) if (now - at >= this.intervalMs) this.last.delete(key);
    this.sweptAt = now;
    this.sweepAt = Math.max(SWEEP_FLOOR, this.last.size * 2);
  }
}

/**
 * The per-device limits of spec §7.1 and §9, shared by MQTT, gateways and the Device HTTPS API:
 * the message rate (token bucket with flood detection), events, timestamped import points,
 * HTTP `update` calls and file uploads. Every refusal is counted in the device API metrics.
 * Memory stays bounded: idle rate buckets, past days and stale event times are swept.
 */
export class DeviceLimits {
  readonly rates: KeyedRateLimiter;
  private readonly events: EventLimiter;
  private readonly importPointsToday: DailyCounter;
  private readonly updatesToday: DailyCounter;
  private readonly uploadsToday: DailyCounter;

  constructor(
    readonly options: DeviceApiOptions,
    clock: Clock,
    private readonly metrics: DeviceApiMetrics,
  ) {
    this.rates = new KeyedRateLimiter({
      ratePerSec: options.rateLimitPerSec,
      burst: options.rateLimitBurst,
      floodMs: options.floodDisconnectSec * 1000,
      clock,
    });
    this.events = new EventLimiter(options.eventsPerDay, options.eventIntervalMs, clock);
    this.importPointsToday = new DailyCounter(options.importPointsPerDay, clock);
    this.updatesToday = new DailyCounter(options.httpUpdatesPerDay, clock);
    this.uploadsToday = new DailyCounter(options.uploadsPerDay, clock);
  }

  /** One message (MQTT uplink, gateway uplink or Device HTTPS API write) against the device's rate. */
  rate(deviceId: number): RateVerdict {
    const verdict = this.rates.take(deviceId);
    if (verdict !== 'ok') this.metrics.uplinksRateLimited++;
    return verdict;
  }

  /** An event the device logs (`event/CODE`, HTTP `logEvent`). */
  event(deviceId: number, code: string): EventVerdict {
    const verdict = this.events.take(deviceId, code);
    if (verdict !== 'ok') this.metrics.eventsLimited++;
    return verdict;
  }

  /**
   * `count` timestamped points for the device: how many may be stored (all or none unless
   * `partial`, which grants what is left of today's allowance).
   */
  importPoints(deviceId: number, count: number, partial: boolean): number {
    const granted = this.importPointsToday.take(deviceId, count, partial);
    this.metrics.importPointsLimited += count - granted;
    return granted;
  }

  /** One Device HTTPS API `update` / `batch/update` call (spec §6.2: 500,000 per device per day). */
  update(deviceId: number): boolean {
    const ok = this.updatesToday.take(deviceId, 1) === 1;
    if (!ok) this.metrics.updatesLimited++;
    return ok;
  }

  /** One file upload (spec §6.2 row 14: 1,000 per device per day). */
  upload(deviceId: number): boolean {
    const ok = this.uploadsToday.take(deviceId, 1) === 1;
    if (!ok) this.metrics.uploadsLimited++;
    return ok;
  }

  /** Entries held, for the bounded-memory tests. */
  get size(): number {
    return (
      this.rates.size +
      this.events.size +
      this.importPointsToday.size +
      this.updatesToday.size +
      this.uploadsToday.size
    );
  }
}
