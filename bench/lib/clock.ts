import { performance } from 'node:perf_hooks';

/**
 * Wall-clock microseconds since the epoch. `performance.now()` alone is per process; adding
 * `timeOrigin` puts every process on the same (system) clock so a timestamp written by one worker
 * can be compared by another.
 */
export function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
