import type { SseEndReason } from './sse-stream.js';

/** The bounds of the console's live streams (decision 0025). */
export interface LiveStreamLimits {
  /** Streams open at once, all callers together. */
  readonly maxStreams: number;
  /** Streams one caller may hold open at once. */
  readonly maxStreamsPerCaller: number;
  /** Bytes one stream may have waiting for its reader before it is dropped. */
  readonly maxBufferedBytes: number;
  /** How often every stream gets a `: ping` comment, ms. */
  readonly pingIntervalMs: number;
}

export const defaultLiveStreamLimits: LiveStreamLimits = {
  maxStreams: 1000,
  maxStreamsPerCaller: 20,
  maxBufferedBytes: 256 * 1024,
  pingIntervalMs: 15_000,
};

/** What the registry needs of an open stream. */
export interface LiveStreamHandle {
  /** The periodic tick: send `: ping` (and re-check whatever the stream must). */
  ping(): void;
  close(reason: SseEndReason): void;
}

export type Admission =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly refusal: 'caller' | 'total' };

/**
 * The live streams open in one HTTP app: admission against the limits, one shared ping timer,
 * counts for `/metrics`, and closing them all when the server stops (an open stream must not
 * hold the shutdown).
 */
export class LiveStreams {
  readonly limits: LiveStreamLimits;
  readonly #open = new Set<LiveStreamHandle>();
  readonly #perCaller = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Streams ever dropped because their reader fell behind (a counter). */
  overflowed = 0;
  /** Streams ever refused by a limit (a counter). */
  refused = 0;

  constructor(limits: Partial<LiveStreamLimits> = {}) {
    this.limits = { ...defaultLiveStreamLimits, ...limits };
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Takes a place for `callerKey`'s new stream, or says which limit refuses it. */
  admit(callerKey: string, stream: LiveStreamHandle): Admission {
    const held = this.#perCaller.get(callerKey) ?? 0;
    if (this.#closed || this.#open.size >= this.limits.maxStreams) return this.#refuse('total');
    if (held >= this.limits.maxStreamsPerCaller) return this.#refuse('caller');
    this.#perCaller.set(callerKey, held + 1);
    this.#open.add(stream);
    this.#startPinging();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#open.delete(stream);
      const left = (this.#perCaller.get(callerKey) ?? 1) - 1;
      if (left > 0) this.#perCaller.set(callerKey, left);
      else this.#perCaller.delete(callerKey);
      if (this.#open.size === 0) this.#stopPinging();
    };
    return { ok: true, release };
  }

  /** Ends every open stream and refuses new ones (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const stream of [...this.#open]) stream.close('shutdown');
    this.#open.clear();
    this.#perCaller.clear();
    this.#stopPinging();
  }

  #refuse(refusal: 'caller' | 'total'): Admission {
    this.refused++;
    return { ok: false, refusal };
  }

  #startPinging(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      for (const stream of [...this.#open]) stream.ping();
    }, this.limits.pingIntervalMs);
    this.#timer.unref();
  }

  #stopPinging(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
