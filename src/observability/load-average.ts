/** The 1, 5 and 15 minute windows of `$SYS/broker/load/…` (as in Unix load averages). */
export const LOAD_WINDOWS = [
  ['1min', 60],
  ['5min', 300],
  ['15min', 900],
] as const;

const SECONDS_PER_MINUTE = 60;

/**
 * Exponentially weighted moving averages of a counter's rate, per minute, over 1, 5 and 15
 * minutes. Each update folds the rate seen since the previous one in with the weight
 * `1 - e^(-elapsed / window)`, so irregular update intervals weigh correctly.
 */
export class LoadAverage {
  private readonly averages = LOAD_WINDOWS.map(() => 0);

  /** `delta` events happened in the last `elapsedSec` seconds. */
  update(delta: number, elapsedSec: number): void {
    if (elapsedSec <= 0) return;
    const perMinute = (delta * SECONDS_PER_MINUTE) / elapsedSec;
    LOAD_WINDOWS.forEach(([, windowSec], i) => {
      const keep = Math.exp(-elapsedSec / windowSec);
      this.averages[i] = perMinute + keep * ((this.averages[i] ?? 0) - perMinute);
    });
  }

  /** `[window name, events per minute]` for each window. */
  values(): Array<[name: string, perMinute: number]> {
    return LOAD_WINDOWS.map(([name], i) => [name, this.averages[i] ?? 0]);
  }
}
