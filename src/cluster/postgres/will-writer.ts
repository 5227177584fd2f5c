import type pg from 'pg';
import type { Logger } from 'pino';
import type { NodeId } from '../types.js';
import { KEEP_WILLS } from './ownership-sql.js';
import { withConflictRetry } from './retry.js';

interface PendingWill {
  readonly key: string;
  readonly epoch: number;
  readonly will: Buffer;
}

export interface WillWriterOptions {
  readonly pool: pg.Pool;
  readonly nodeId: NodeId;
  readonly logger: Logger | undefined;
  /** Wills waiting for a statement at most; beyond, dropped and counted. */
  readonly maxPending: number;
  readonly maxBatchSize: number;
  readonly onStatement: () => void;
}

/**
 * Writes the wills of connected sessions into their ownership rows, those of one event-loop turn in
 * one statement, one statement at a time. Best effort: a will that cannot be written is logged and
 * dropped (it matters only if this node dies before the connection ends).
 */
export class WillWriter {
  dropped = 0;
  readonly #options: WillWriterOptions;
  #pending: PendingWill[] = [];
  #running = false;

  constructor(options: WillWriterOptions) {
    this.#options = options;
  }

  keep(key: string, epoch: number, will: Buffer): void {
    if (this.#pending.length >= this.#options.maxPending) {
      this.dropped++;
      return;
    }
    this.#pending.push({ key, epoch, will });
    if (this.#pending.length === 1 && !this.#running) setImmediate(() => void this.#drain());
  }

  /** Resolves once nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.#running || this.#pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#options.maxBatchSize);
        await this.#write(batch);
      }
    } finally {
      this.#running = false;
    }
  }

  async #write(batch: readonly PendingWill[]): Promise<void> {
    const { pool, nodeId, logger, onStatement } = this.#options;
    const values = [nodeId, batch.map((w) => w.key), batch.map((w) => w.epoch), batch.map((w) => w.will)];
    try {
      await withConflictRetry(() => pool.query(KEEP_WILLS, values), onStatement, logger);
    } catch (err) {
      this.dropped += batch.length;
      logger?.warn({ err, wills: batch.length }, 'cluster: wills of connected sessions not kept');
    }
  }
}
