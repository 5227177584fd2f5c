import type { Statement } from 'better-sqlite3';
import type { BrokerMessage } from '../../broker/message.js';
import type { RetainedStore } from '../../broker/store-ports.js';
import { columnsToMessage, type MessageColumns, messageToColumns } from '../message-codec.js';
import { BatchedStoreState } from './batched-store-state.js';
import { keySeparator, type StoreHandle } from './store-handle.js';

/** RetainedStore on SQLite: one row per topic, writes batched on the shared batcher. */
export class SqliteRetainedStore implements RetainedStore {
  readonly #handle: StoreHandle;
  readonly #put: Statement;
  readonly #delete: Statement;
  readonly #selectAll: Statement<[], MessageColumns>;
  readonly #state: BatchedStoreState;

  constructor(handle: StoreHandle) {
    this.#handle = handle;
    this.#state = new BatchedStoreState(handle, 'sqlite retained store');
    this.#put = handle.db.prepare(
      `INSERT OR REPLACE INTO retained
         (topic, payload, qos, retain, properties, expires_at, created_at, publisher_id)
       VALUES (@topic, @payload, @qos, @retain, @properties, @expires_at, @created_at, @publisher_id)`,
    );
    this.#delete = handle.db.prepare('DELETE FROM retained WHERE topic = ?');
    this.#selectAll = handle.db.prepare('SELECT * FROM retained') as Statement<[], MessageColumns>;
  }

  async loadAll(): Promise<BrokerMessage[]> {
    this.#assertOpen();
    this.#handle.batcher.commit();
    return this.#selectAll.all().map(columnsToMessage);
  }

  put(message: BrokerMessage): void {
    this.#assertOpen();
    const columns = messageToColumns(message);
    this.#handle.batcher.enqueue(`r${keySeparator}${message.topic}`, undefined, () => this.#put.run(columns));
  }

  delete(topic: string): void {
    this.#assertOpen();
    this.#handle.batcher.enqueue(`r${keySeparator}${topic}`, undefined, () => this.#delete.run(topic));
  }

  async flush(): Promise<void> {
    return this.#state.flush();
  }

  async close(): Promise<void> {
    return this.#state.close();
  }

  #assertOpen(): void {
    this.#state.assertOpen();
  }
}
