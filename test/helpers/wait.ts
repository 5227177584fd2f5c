import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** Default bound for anything a test awaits; a healthy local broker answers in milliseconds. */
export const WAIT_MS = 3000;

/** Rejects with a readable message when `promise` does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first `event` from `emitter` (its first argument), bounded by `ms`. */
export function nextEvent<T = unknown>(emitter: EventEmitter, event: string, ms = WAIT_MS): Promise<T> {
  let listener: ((value: T) => void) | undefined;
  const fired = new Promise<T>((resolve) => {
    listener = resolve;
    emitter.once(event, listener);
  });
  return within(fired, ms, `'${event}' event`).finally(() => {
    if (listener) emitter.off(event, listener);
  });
}

/**
 * A quiet period for negative assertions ("nothing arrives"). Only used where no event can
 * prove absence; kept short.
 */
export function quietPeriod(ms = 300): Promise<void> {
  return sleep(ms);
}

/** Elapsed-time stopwatch for timer tests (keepalive, will delay, expiry). */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => performance.now() - started;
}
