import type pg from 'pg';
import { ArchiveError, type ArchiveRecord } from './archive-format.js';
import { fieldName, type TableSpec } from './archive-tables.js';
import { type ColumnTypes, pgTableOf } from './postgres-archive-tables.js';

/** Rows per INSERT at most (16 columns × 500 stays far below PostgreSQL's 65 535 parameters). */
const BATCH_ROWS = 500;
/** Field bytes per INSERT at most, so rows carrying messages or blobs do not pile up. */
const BATCH_BYTES = 4 * 1024 * 1024;

type Convert = (value: unknown) => unknown;

/** An archive field into a parameter for its PostgreSQL column. */
function converterFor(table: TableSpec, column: string, type: string | undefined): Convert {
  const where = `${table.kind}.${fieldName(column)}`;
  if (table.json?.includes(column)) return (value) => JSON.stringify(value);
  if (table.bytes?.includes(column))
    return (value) => {
      if (typeof value !== 'string') throw new ArchiveError(`${where}: expected base64`);
      return Buffer.from(value, 'base64');
    };
  if (type === 'boolean')
    return (value) => {
      // The archive keeps booleans as SQLite does (1/0); true/false are taken too.
      if (value === 1 || value === true) return true;
      if (value === 0 || value === false) return false;
      throw new ArchiveError(`${where}: expected 1 or 0`);
    };
  return (value) => {
    if (typeof value === 'boolean' || typeof value === 'object')
      throw new ArchiveError(`${where}: unexpected ${typeof value}`);
    return value;
  };
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Buffer.isBuffer(value)) return value.length;
  return 8;
}

interface Batch {
  readonly table: TableSpec;
  readonly rows: unknown[][];
  bytes: number;
}

/**
 * Inserts archive rows in multi-row INSERTs, table by table in the order they come. Foreign keys
 * on PostgreSQL are checked per statement, so an organization whose parent comes later in the
 * archive (an org moved under a newer one) waits until its parent is written.
 */
export class PgRowWriter {
  private batch: Batch | undefined;
  private readonly converters = new Map<string, readonly Convert[]>();
  private readonly orgsWritten = new Set<number>();
  private readonly orgsWaiting = new Map<number, unknown[][]>();
  rows = 0;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly types: ColumnTypes,
  ) {}

  async write(table: TableSpec, record: ArchiveRecord): Promise<void> {
    if (this.batch !== undefined && this.batch.table !== table) await this.flush();
    const convert = this.convertersOf(table);
    const values = table.columns.map((column, i) => {
      const field = fieldName(column);
      if (!(field in record.data)) throw new ArchiveError(`${record.kind} record lacks "${field}"`);
      const value = record.data[field];
      return value === null ? null : (convert[i] as Convert)(value);
    });
    if (table.table === 'organizations') return this.writeOrganization(table, values);
    await this.add(table, values);
  }

  /** Inserts what waits; refuses organizations whose parent never came. */
  async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = undefined;
    if (batch !== undefined && batch.rows.length > 0) await this.insert(batch);
    const [parent, children] = this.orgsWaiting.entries().next().value ?? [];
    if (parent !== undefined)
      throw new ArchiveError(
        `organization ${String(children?.[0]?.[0])} names parent ${parent}, which the archive lacks`,
      );
  }

  private convertersOf(table: TableSpec): readonly Convert[] {
    let found = this.converters.get(table.kind);
    if (found === undefined) {
      found = table.columns.map((c) => converterFor(table, c, this.types.get(`${pgTableOf(table)}.${c}`)));
      this.converters.set(table.kind, found);
    }
    return found;
  }

  private async writeOrganization(table: TableSpec, values: unknown[]): Promise<void> {
    const parent = values[table.columns.indexOf('parent_id')] as number | null;
    if (parent !== null && !this.orgsWritten.has(parent)) {
      this.orgsWaiting.set(parent, [...(this.orgsWaiting.get(parent) ?? []), values]);
      return;
    }
    const ready = [values];
    while (ready.length > 0) {
      const row = ready.shift() as unknown[];
      const id = row[table.columns.indexOf('id')] as number;
      await this.add(table, row);
      this.orgsWritten.add(id);
      ready.push(...(this.orgsWaiting.get(id) ?? []));
      this.orgsWaiting.delete(id);
    }
  }

  private async add(table: TableSpec, values: unknown[]): Promise<void> {
    const batch = this.batch ?? { table, rows: [], bytes: 0 };
    this.batch = batch;
    batch.rows.push(values);
    batch.bytes += values.reduce<number>((sum, value) => sum + sizeOf(value), 0);
    this.rows++;
    if (batch.rows.length >= BATCH_ROWS || batch.bytes >= BATCH_BYTES) {
      this.batch = { table, rows: [], bytes: 0 };
      await this.insert(batch);
    }
  }

  private async insert({ table, rows }: Batch): Promise<void> {
    const width = table.columns.length;
    const tuples = rows.map(
      (_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    await this.client.query(
      `INSERT INTO ${pgTableOf(table)} (${table.columns.join(', ')}) VALUES ${tuples.join(', ')}`,
      rows.flat(),
    );
  }
}
