import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Preloaded into a Node broker under test (`node --import …/loop-probe.js`): measures the event
 * loop's delay and the heap, and writes them as JSON to $BENCH_PROBE_FILE every 250 ms, so the
 * broker is observed without changing its code. SIGUSR2 restarts the delay histogram.
 */
const file = process.env.BENCH_PROBE_FILE;
if (file !== undefined) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const write = (): void => {
    const memory = process.memoryUsage();
    const ms = (ns: number): number => ns / 1e6;
    const sample = {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      loopDelayMs: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        mean: ms(delay.mean),
      },
    };
    writeFileSync(file, JSON.stringify(sample));
  };
  setInterval(write, 250).unref();
  process.on('SIGUSR2', () => delay.reset());
}
