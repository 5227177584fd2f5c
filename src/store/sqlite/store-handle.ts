import type { Database } from 'better-sqlite3';
import type { WriteBatcher } from './write-batcher.js';

/**
 * What a SQLite store shares with its siblings: one database and one write batcher, so a batch
 * spans both stores and costs one transaction. `release` is called once when the store closes;
 * the database closes after the last store releases it.
 */
export interface StoreHandle {
  readonly db: Database;
  readonly batcher: WriteBatcher;
  readonly release: () => void;
}

/** A key part no client id or topic can contain: U+0000 is forbidden in both [MQTT-1.5.4-2]. */
export const keySeparator = '\u0000';
