import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Preloaded into a Node broker under test (`node --import …/loop-probe.js`): measures the event
 * loop's delay and the heap, and writes them as JSON to $BENCH_PROBE_FILE every 250 ms, so the
 * broker is observed without changing its code. SIGUSR2 restarts the delay histogram.
 *
 * SIGWINCH asks for a heap figure without garbage: a full collection, then an immediate write whose
 * `heapAfterGcBytes` (kept in every later write) and `gcSamples` (a counter) the bench waits for.
 * Periodic `heapUsedBytes` includes whatever garbage the broker has not collected yet (start-up
 * garbage made heap-per-connection read 0 when the "before" sample held more of it than "after").
 */
const file = process.env.BENCH_PROBE_FILE;

/** `gc()` without starting the broker with --expose-gc: the flag is set now, gc taken from a fresh context. */
function exposedGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: () => void }).gc;
  if (own !== undefined) return own;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

if (file !== undefined) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc = exposedGc();
  let heapAfterGcBytes: number | undefined;
  let gcSamples = 0;
  const write = (): void => {
    const memory = process.memoryUsage();
    const ms = (ns: number): number => ns / 1e6;
    const sample = {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      ...(heapAfterGcBytes === undefined ? {} : { heapAfterGcBytes, gcSamples }),
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
  process.on('SIGWINCH', () => {
    if (gc === undefined) return;
    // Twice: the first may leave objects that only a second (weak references, finalizers) frees.
    gc();
    gc();
    heapAfterGcBytes = process.memoryUsage().heapUsed;
    gcSamples++;
    write(); // before the pause reaches the delay histogram
  });
}
