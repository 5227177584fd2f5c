import type { BrokerMessage } from '../../broker/message.js';
import type { RetainedStore } from '../../broker/store-ports.js';
import { StoreClosedError } from '../errors.js';
import { copyMessage } from './copy.js';

/** RetainedStore kept in process memory, keyed by topic. Writes apply immediately. */
export class MemoryRetainedStore implements RetainedStore {
  readonly #messages = new Map<string, BrokerMessage>();
  #closed = false;

  async loadAll(): Promise<BrokerMessage[]> {
    this.#assertOpen();
    return [...this.#messages.values()].map(copyMessage);
  }

  put(message: BrokerMessage): void {
    this.#assertOpen();
    this.#messages.set(message.topic, copyMessage(message));
  }

  delete(topic: string): void {
    this.#assertOpen();
    this.#messages.delete(topic);
  }

  async flush(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('memory retained store');
  }
}
