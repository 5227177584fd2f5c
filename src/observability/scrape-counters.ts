import { Counter, type Registry } from 'prom-client';

/** A labelled counter's samples as `[label value, count]` pairs. */
export type LabelledCounts = Iterable<readonly [string, number]>;

/**
 * A counter whose value is read from `source()` at scrape time, never pushed; it reads 0 while
 * the source is absent (before the broker or device API runs).
 */
export function scrapedCounter<M>(
  registry: Registry,
  source: () => M | undefined,
  name: string,
  help: string,
  read: (m: M) => number,
): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      const metrics = source();
      this.inc(metrics === undefined ? 0 : read(metrics));
    },
  });
}

/** A counter with one label, its samples replaced by what `read()` gives at each scrape. */
export function scrapedLabelledCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => LabelledCounts,
): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect(this: Counter<string>) {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}
