import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * What the collectors read of the failed-login throttle; `AuthThrottle` (src/auth/throttle/) has
 * this shape. Declared here so the metrics layer, and the broker that carries the throttle for it,
 * do not import auth/ (decision 0019).
 */
export interface ThrottleStats {
  readonly counts: {
    readonly refused: ReadonlyMap<string, number>;
    readonly failures: ReadonlyMap<string, number>;
  };
  /** Entries held by the throttle tables. */
  readonly size: number;
}

/**
 * Failed-login throttling as Prometheus metrics (decision 0009), read from the throttle's plain
 * counters at scrape time. Labels are closed sets (channel, scope): never an address or a client id.
 */
export function registerAuthThrottleCollectors(
  registry: Registry,
  throttle: () => ThrottleStats | undefined,
): void {
  new Counter({
    name: 'devgate_auth_throttled_total',
    help: 'Login attempts refused by failed-login throttling before their secret was checked',
    labelNames: ['channel', 'scope'],
    registers: [registry],
    collect(this: Counter<'channel' | 'scope'>) {
      this.reset();
      for (const [key, count] of throttle()?.counts.refused ?? []) {
        const [channel = '', scope = ''] = key.split('/');
        this.inc({ channel, scope }, count);
      }
    },
  });
  new Counter({
    name: 'devgate_auth_failed_logins_total',
    help: 'Failed logins (unknown or wrong secret or token) seen by the failed-login throttle',
    labelNames: ['channel'],
    registers: [registry],
    collect(this: Counter<'channel'>) {
      this.reset();
      for (const [channel, count] of throttle()?.counts.failures ?? []) this.inc({ channel }, count);
    },
  });
  new Gauge({
    name: 'devgate_auth_throttle_entries',
    help: 'Entries held by the failed-login throttle tables (bounded by limits.authThrottleMaxEntries)',
    registers: [registry],
    collect(this: Gauge) {
      this.set(throttle()?.size ?? 0);
    },
  });
}
