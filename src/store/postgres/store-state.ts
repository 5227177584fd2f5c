import type pg from 'pg';
import { StoreClosedError } from '../errors.js';
import type { PgWriteBatcher } from './write-batcher.js';

/**
 * What a PostgreSQL store shares with its sibling: one pool and one write batcher, so a batch
 * spans both stores and costs one transaction. `release` is called once per store on close; the
 * pool ends after the last one.
 */
export interface PgStoreHandle {
  readonly pool: pg.Pool;
  readonly batcher: PgWriteBatcher;
  readonly release: () => Promise<void>;
}

/** A key part no client id or topic can contain: U+0000 is forbidden in both [MQTT-1.5.4-2]. */
export const keySeparator = '\u0000';

/** Open/closed state of one store: close flushes once, then releases the handle even if that fails. */
export class PgStoreState {
  readonly handle: PgStoreHandle;
  readonly #name: string;
  #closed = false;

  constructor(handle: PgStoreHandle, name: string) {
    this.handle = handle;
    this.#name = name;
  }

  assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.#name);
  }

  async flush(): Promise<void> {
    this.assertOpen();
    return this.handle.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.handle.batcher.flush();
    } finally {
      await this.handle.release();
    }
  }
}
