import type pg from 'pg';
import {
  createPartitionSql,
  hasOwnPartition,
  PARTITION_LOCK_ID,
  PARTITION_MS,
} from '../platform/postgres/history-partitions.js';

/**
 * The day partitions an import's history rows need, created inside the import's transaction
 * before the rows of a new day are written: imported points land in their day's partition (which
 * retention drops whole), as live ones do, instead of all in `history_default`. Days outside the
 * live window (older than the default retention's reach, or ahead) stay in the DEFAULT
 * partition, as for live writes. The DDL lock is the one live writers take, held to the commit.
 */
export class ImportHistoryDays {
  readonly #client: pg.PoolClient;
  readonly #today: number;
  readonly #done = new Set<number>();
  #locked = false;

  constructor(client: pg.PoolClient, now = Date.now()) {
    this.#client = client;
    this.#today = Math.floor(now / PARTITION_MS);
  }

  /** Makes sure the partition of `ts` exists (when that day gets one). */
  async ensure(ts: unknown): Promise<void> {
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return; // the row write reports it
    const day = Math.floor(ts / PARTITION_MS);
    if (this.#done.has(day)) return;
    this.#done.add(day);
    if (!hasOwnPartition(day, this.#today)) return;
    if (!this.#locked) {
      await this.#client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_ID]);
      this.#locked = true;
    }
    await this.#client.query(createPartitionSql(day));
  }
}
