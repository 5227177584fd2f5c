import type { BrokerMessage } from '../../broker/message.js';
import { columnsToMessage, type MessageColumns, messageToColumns } from '../message-codec.js';
import type { RetainedStore } from '../types.js';
import { keySeparator, type PgStoreHandle, PgStoreState } from './store-state.js';

/** A message's columns as PostgreSQL returns them (bigint as text, jsonb read back as text). */
export interface PgMessageRow {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  properties: string;
  expires_at: string | null;
  created_at: string;
  publisher_id: string | null;
}

/** The SELECT list of a message's columns. */
export const MESSAGE_SELECT =
  'topic, payload, qos, retain, properties::text AS properties, expires_at, created_at, publisher_id';

/** Column values in the statements' order (topic, payload, qos, retain, properties, …). */
export function messageValues(message: BrokerMessage): unknown[] {
  const c = messageToColumns(message);
  return [
    c.topic,
    c.payload,
    c.qos,
    c.retain === 1,
    c.properties,
    c.expires_at,
    c.created_at,
    c.publisher_id,
  ];
}

export function rowToMessage(row: PgMessageRow): BrokerMessage {
  const columns: MessageColumns = {
    ...row,
    retain: row.retain ? 1 : 0,
    expires_at: row.expires_at === null ? null : Number(row.expires_at),
    created_at: Number(row.created_at),
  };
  return columnsToMessage(columns);
}

/** RetainedStore on PostgreSQL: one row per topic, writes batched on the shared batcher. */
export class PgRetainedStore implements RetainedStore {
  readonly #state: PgStoreState;

  constructor(handle: PgStoreHandle) {
    this.#state = new PgStoreState(handle, 'postgres retained store');
  }

  async loadAll(): Promise<BrokerMessage[]> {
    this.#state.assertOpen();
    await this.#state.handle.batcher.settle();
    const { rows } = await this.#state.handle.pool.query<PgMessageRow>(
      `SELECT ${MESSAGE_SELECT} FROM engine_retained`,
    );
    return rows.map(rowToMessage);
  }

  put(message: BrokerMessage): void {
    this.#state.assertOpen();
    const values = messageValues(message);
    this.#state.handle.batcher.enqueue(`r${keySeparator}${message.topic}`, undefined, {
      kind: 'putRetained',
      values,
    });
  }

  delete(topic: string): void {
    this.#state.assertOpen();
    this.#state.handle.batcher.enqueue(`r${keySeparator}${topic}`, undefined, {
      kind: 'deleteRetained',
      values: [topic],
    });
  }

  async flush(): Promise<void> {
    return this.#state.flush();
  }

  async close(): Promise<void> {
    return this.#state.close();
  }
}
