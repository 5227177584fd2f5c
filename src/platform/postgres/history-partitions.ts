import type pg from 'pg';
import type { Logger } from 'pino';

/** Width of a history partition: one UTC day of `ts` (decision 0020). */
export const PARTITION_MS = 86_400_000;
/**
 * Days back from today that still get a partition of their own when a point arrives for them:
 * past the default retention (365 days), so a back-fill inside it is never left in the DEFAULT
 * partition. Older points, and points of later days than AHEAD_DAYS, go to `history_default`.
 */
export const PAST_DAYS = 400;
/** Days after today that get a partition: created on open, and when a point arrives for them. */
export const AHEAD_DAYS = 1;

/** Serialises partition DDL of every devgate process on one database ("dghp"). */
export const PARTITION_LOCK_ID = 0x6467_6870;
const NAME = /^history_p(\d{4})(\d{2})(\d{2})$/;

/** `history_p20261207` for the day holding 2026-12-07T00:00Z. */
export function partitionName(day: number): string {
  return `history_p${new Date(day * PARTITION_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** Whether points of `day` get a partition of their own, seen from `today` (else: DEFAULT). */
export function hasOwnPartition(day: number, today: number): boolean {
  return day >= today - PAST_DAYS && day <= today + AHEAD_DAYS;
}

/** The DDL that makes `day`'s partition when missing. */
export function createPartitionSql(day: number): string {
  const from = day * PARTITION_MS;
  return `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF history FOR VALUES FROM (${from}) TO (${from + PARTITION_MS})`;
}

function dayOfName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / PARTITION_MS : undefined;
}

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/**
 * The day partitions of `history`: which exist (as far as this process knows), creating the
 * missing ones before a write needs them, and dropping whole days for retention. Creation is
 * race-safe across processes: an advisory lock serialises the DDL and CREATE … IF NOT EXISTS
 * (or a duplicate error) means another process made it first.
 */
export class HistoryPartitions {
  readonly #pool: pg.Pool;
  readonly #clock: () => number;
  readonly #logger: Logger | undefined;
  /** Days that have a partition, or whose points stay in the DEFAULT partition (see #create). */
  readonly #known = new Set<number>();
  #loaded = false;
  /** The creation ahead on open, which the first write's partitions wait for. */
  #opening: Promise<void> | undefined;
  /** Partitions created by this process (for tests and metrics). */
  created = 0;

  constructor(pool: pg.Pool, clock: () => number, logger?: Logger) {
    this.#pool = pool;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Learns the existing partitions, then creates today's and the next AHEAD_DAYS. */
  open(): Promise<void> {
    const today = Math.floor(this.#clock() / PARTITION_MS);
    this.#opening = this.#load().then(() =>
      this.#createDays(Array.from({ length: AHEAD_DAYS + 1 }, (_, i) => today + i)),
    );
    return this.#opening;
  }

  /**
   * Creates the partitions that points at `timestamps` need (inside the window) and are missing,
   * and the next AHEAD_DAYS: after midnight the first batch makes the next day's partition.
   */
  async ensure(timestamps: readonly number[]): Promise<void> {
    const days = new Set<number>();
    const ahead = Math.floor(this.#clock() / PARTITION_MS) + AHEAD_DAYS;
    if (!this.#known.has(ahead)) days.add(ahead);
    let last = Number.NaN;
    for (const ts of timestamps) {
      const day = Math.floor(ts / PARTITION_MS);
      if (day === last) continue;
      last = day;
      if (!this.#known.has(day)) days.add(day);
    }
    if (days.size > 0) await this.ensureDays(days);
  }

  async ensureDays(days: Iterable<number>): Promise<void> {
    await this.#opening?.catch(() => undefined); // a failure there: created here instead
    await this.#createDays(days);
  }

  async #createDays(days: Iterable<number>): Promise<void> {
    if (!this.#loaded) await this.#load();
    const today = Math.floor(this.#clock() / PARTITION_MS);
    for (const day of days) {
      if (this.#known.has(day) || !hasOwnPartition(day, today)) continue;
      await this.#create(day);
      this.#known.add(day);
    }
  }

  /**
   * Drops every day partition whose whole range is older than `before`, then deletes the older
   * rows of the partition straddling it and of the DEFAULT partition. Returns the points removed.
   */
  async pruneBefore(before: number): Promise<number> {
    let removed = 0;
    for (const { name, day } of await this.#list()) {
      if ((day + 1) * PARTITION_MS > before) continue;
      removed += await this.#drop(name);
      this.#known.delete(day);
    }
    const { rowCount } = await this.#pool.query('DELETE FROM history WHERE ts < $1', [before]);
    return removed + (rowCount ?? 0);
  }

  async #load(): Promise<void> {
    for (const { day } of await this.#list()) this.#known.add(day);
    this.#loaded = true;
  }

  /** The day partitions of `history` in the catalog (other processes may have made some). */
  async #list(): Promise<{ name: string; day: number }[]> {
    const { rows } = await this.#pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'history'::regclass`,
    );
    return rows.flatMap(({ name }) => {
      const day = dayOfName(name);
      return day === undefined ? [] : [{ name, day }];
    });
  }

  async #create(day: number): Promise<void> {
    const name = partitionName(day);
    try {
      await this.#underLock(async (client) => {
        await client.query(createPartitionSql(day));
      });
      this.created++;
    } catch (err) {
      // 42P07/23505: made by another process at the same moment. 23514: the DEFAULT partition
      // already holds points of that day (written when it was still beyond AHEAD_DAYS); they
      // and the day's later points stay there (retention trims it like any other).
      if (codeOf(err) === '23514') {
        this.#logger?.warn({ day: name }, 'platform store: history day stays in the DEFAULT partition');
      } else if (codeOf(err) !== '42P07' && codeOf(err) !== '23505') {
        throw err;
      }
    }
  }

  /** Counts, then drops one partition; 0 when another process dropped it first. */
  async #drop(name: string): Promise<number> {
    try {
      return await this.#underLock(async (client) => {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`);
        await client.query(`DROP TABLE ${name}`);
        return rows[0]?.n ?? 0;
      });
    } catch (err) {
      if (codeOf(err) === '42P01') return 0;
      throw err;
    }
  }

  /** Runs `work` in a transaction holding the partition DDL lock. */
  async #underLock<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_ID]);
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection that failed (no SQLSTATE) is destroyed, not handed to the next caller.
      client.release(codeOf(err) === undefined ? true : undefined);
      throw err;
    }
  }
}
