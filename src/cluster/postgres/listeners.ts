import type { Logger } from 'pino';

/**
 * Listeners of one event. A listener that throws or rejects is logged and the others still run:
 * events fire from timer callbacks, out of which nothing may throw.
 */
export class Listeners<A extends unknown[]> {
  readonly #listeners = new Set<(...args: A) => unknown>();
  readonly #what: string;
  readonly #logger: Logger | undefined;

  constructor(what: string, logger: Logger | undefined) {
    this.#what = what;
    this.#logger = logger;
  }

  /** Adds `listener`; the returned function removes it. */
  add(listener: (...args: A) => unknown): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of [...this.#listeners]) {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch((err: unknown) => this.#failed(err));
      } catch (err) {
        this.#failed(err);
      }
    }
  }

  #failed(err: unknown): void {
    this.#logger?.error({ err }, `cluster: a ${this.#what} listener failed`);
  }
}
