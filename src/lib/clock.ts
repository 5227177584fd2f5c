/** Time and timers, injected so tests can drive them. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Schedules `fn` after `ms`; the timer never keeps the process alive on its own. */
  schedule(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    // setTimeout caps at 2^31-1 ms; longer waits re-arm themselves.
    const max = 2_147_483_647;
    let handle: NodeJS.Timeout;
    const arm = (remaining: number): void => {
      handle = setTimeout(() => (remaining > max ? arm(remaining - max) : fn()), Math.min(remaining, max));
      handle.unref();
    };
    arm(Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};
