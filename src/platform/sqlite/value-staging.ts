import type { Database } from 'better-sqlite3';
import type { StagingBatch } from './staging-batch.js';

/**
 * Staged history rows that trigger a merge into `history` (inside the commit that reaches it).
 * Measured with 10,000 datastreams: 3–4 µs per value at 600k rows instead of 15, and a merge of
 * 20,000 rows holds the thread ~25 ms (less than one direct commit of 2,000 values did). It is
 * also the bound on the rows whose current values wait to be applied (see `applyCurrent`).
 */
export const MERGE_ROWS = 20_000;
/** History rows per multi-row INSERT: one statement call per chunk instead of per row. */
const ROWS_PER_INSERT = 64;

/** Staged rows whose current values are not applied yet: a range of rowids, or a list. */
type Pending = { readonly from: number; readonly to: number } | { readonly rowids: string };

/** What a rolled-back transaction puts back (pending items are never changed in place). */
interface Saved {
  readonly rows: number;
  readonly count: number;
  readonly last: Pending | undefined;
}

/**
 * `history_staging` (schema 5) and the current values derived from it. A value commit only
 * appends its rows to the staging table and notes which of them may become current (`Pending`);
 * those rows are upserted into current_values by rowid (`applyCurrent`) when the rows merge into
 * `history`, and before anything reads or erases current values. So a commit costs no b-tree
 * seek per datastream. The staging table holds every row not merged yet, so it is also the record
 * of every current value not applied yet: after a crash, opening the store applies every staged
 * row and merges them (decision 0005).
 */
export class ValueStaging {
  readonly #insert: (rows: ReadonlyArray<number | string>) => number;
  readonly #s: ReturnType<typeof statements>;
  /** Rows in history_staging (counted at open, then by this process). */
  #rows: number;
  #pending: Pending[] = [];

  constructor(db: Database) {
    this.#insert = historyInserter(db);
    this.#s = statements(db);
    // Rows left by a process that stopped without merging (a crash): all of them may be current.
    const left = this.#s.leftover.get() ?? { rows: 0, last: 0 };
    this.#rows = left.rows;
    if (left.rows > 0) this.#pending.push({ from: 0, to: left.last });
  }

  /** Rows in the staging table (rows left by an earlier process included). */
  get rows(): number {
    return this.#rows;
  }

  /** True when staged rows may hold current values not applied yet. */
  get unapplied(): boolean {
    return this.#pending.length > 0;
  }

  /** True when the staging table should merge (at MERGE_ROWS rows). */
  get due(): boolean {
    return this.#rows >= MERGE_ROWS;
  }

  /** Wraps `fn` in a transaction that puts this bookkeeping back if it rolls back. */
  transaction<A extends unknown[]>(db: Database, fn: (...args: A) => void): (...args: A) => void {
    const tx = db.transaction(fn);
    return (...args) => {
      const pending = this.#pending;
      const saved: Saved = { rows: this.#rows, count: pending.length, last: pending[pending.length - 1] };
      try {
        tx(...args);
      } catch (err) {
        this.#rows = saved.rows;
        pending.length = saved.count;
        if (saved.last !== undefined) pending[saved.count - 1] = saved.last;
        throw err;
      }
    };
  }

  /** Appends a commit's rows, inside a transaction. */
  stage(batch: StagingBatch): void {
    const n = batch.size;
    if (n === 0) return;
    // The rows of one transaction take consecutive rowids, so these are exact now. If rows are
    // deleted later (a device cleared or deleted) and their rowids reused, a pending item may
    // name a newer row: applying it early is harmless, its own item applies it again in order.
    const last = this.#insert(batch.rows);
    const first = last - n + 1;
    this.#rows += n;
    const rows = batch.candidates();
    if (rows !== undefined) {
      this.#pending.push({ rowids: JSON.stringify(rows.map((row) => first + row)) });
      return;
    }
    const prev = this.#pending[this.#pending.length - 1];
    if (prev !== undefined && 'to' in prev && prev.to === first - 1)
      this.#pending[this.#pending.length - 1] = { from: prev.from, to: last };
    else this.#pending.push({ from: first, to: last });
  }

  /** Upserts the pending rows into current_values, in write order, inside a transaction. */
  applyCurrent(): void {
    for (const item of this.#pending) {
      if ('to' in item) this.#s.applyRange.run(item.from, item.to);
      else this.#s.applyList.run(item.rowids);
    }
    this.#pending = [];
  }

  /** Applies current values, then moves every staged row into `history`, inside a transaction. */
  merge(): void {
    if (this.#rows === 0) return;
    this.applyCurrent();
    this.#s.merge.run();
    this.#s.drop.run();
    this.#rows = 0;
  }
}

// Write order (rowid) with the upsert's condition gives "the newest point wins, a tie goes to the
// later write"; a back-filled point never hides a fresher value.
const upsertCurrent = (rows: string) => `
  INSERT INTO current_values (device_id, datastream_id, value, updated_at)
  SELECT device_id, datastream_id, value, ts FROM history_staging WHERE ${rows} ORDER BY rowid
  ON CONFLICT (device_id, datastream_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
  WHERE excluded.updated_at >= current_values.updated_at`;

function statements(db: Database) {
  return {
    applyRange: db.prepare<[number, number]>(upsertCurrent('rowid BETWEEN ? AND ?')),
    applyList: db.prepare<[string]>(upsertCurrent('rowid IN (SELECT value FROM json_each(?))')),
    // rowid keeps the write order of equal timestamps (history reads break ties by rowid).
    merge: db.prepare(`
      INSERT INTO history (device_id, datastream_id, ts, value)
      SELECT device_id, datastream_id, ts, value FROM history_staging
      ORDER BY device_id, datastream_id, ts, rowid`),
    drop: db.prepare('DELETE FROM history_staging'),
    leftover: db.prepare<[], { rows: number; last: number }>(
      'SELECT count(*) AS rows, coalesce(max(rowid), 0) AS last FROM history_staging',
    ),
  };
}

/** Inserts history rows into the staging table in multi-row statements; returns the last rowid. */
function historyInserter(db: Database): (rows: ReadonlyArray<number | string>) => number {
  const tuple = '(?, ?, ?, ?)';
  const prefix = 'INSERT INTO history_staging (device_id, datastream_id, ts, value) VALUES ';
  const one = db.prepare(prefix + tuple);
  const chunk = db.prepare(prefix + Array(ROWS_PER_INSERT).fill(tuple).join(', '));
  const width = ROWS_PER_INSERT * 4;
  return (rows) => {
    let last = 0;
    let i = 0;
    for (; i + width <= rows.length; i += width)
      last = Number(chunk.run(rows.slice(i, i + width)).lastInsertRowid);
    for (; i < rows.length; i += 4)
      last = Number(one.run(rows[i], rows[i + 1], rows[i + 2], rows[i + 3]).lastInsertRowid);
    return last;
  };
}
