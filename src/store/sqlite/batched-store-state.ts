import { StoreClosedError } from '../errors.js';
import type { StoreHandle } from './store-handle.js';

/**
 * Open/closed state of one SQLite store on a shared handle: every call checks the store is open,
 * flush waits for the shared batcher, and close flushes once and then releases the handle even
 * if that flush fails.
 */
export class BatchedStoreState {
  readonly #handle: StoreHandle;
  readonly #name: string;
  #closed = false;

  constructor(handle: StoreHandle, name: string) {
    this.#handle = handle;
    this.#name = name;
  }

  assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.#name);
  }

  async flush(): Promise<void> {
    this.assertOpen();
    return this.#handle.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#handle.batcher.flush();
    } finally {
      this.#handle.release();
    }
  }
}
