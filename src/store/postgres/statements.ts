import type pg from 'pg';

/** The kinds of row write the engine stores queue; each applies a whole run of rows at once. */
export type WriteKind =
  | 'putSession'
  | 'deleteSession'
  | 'putOutbound'
  | 'deleteOutbound'
  | 'addInbound'
  | 'deleteInbound'
  | 'putRetained'
  | 'deleteRetained';

/** One queued row write: its kind and its column values, captured when the write was issued. */
export interface PgWrite {
  readonly kind: WriteKind;
  readonly values: readonly unknown[];
}

/** Column `i` of every row, as one array parameter for `unnest`. */
function columns(rows: readonly (readonly unknown[])[], count: number): unknown[][] {
  return Array.from({ length: count }, (_, i) => rows.map((row) => row[i] ?? null));
}

/** `unnest($1::text[], $2::bigint[], …)` for the given element types. */
function unnest(types: readonly string[]): string {
  return `unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;
}

function upsert(table: string, names: readonly string[], types: readonly string[], key: string[]): string {
  const updates = names.filter((n) => !key.includes(n)).map((n) => `${n} = EXCLUDED.${n}`);
  return `INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM ${unnest(types)}
    ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
}

function deleteWhere(table: string, names: readonly string[], types: readonly string[]): string {
  const match = names.map((n) => `t.${n} = d.${n}`).join(' AND ');
  return `DELETE FROM ${table} t USING ${unnest(types)} AS d(${names.join(', ')}) WHERE ${match}`;
}

const MESSAGE_NAMES = [
  'topic',
  'payload',
  'qos',
  'retain',
  'properties',
  'expires_at',
  'created_at',
  'publisher_id',
];
const MESSAGE_TYPES = ['text', 'bytea', 'smallint', 'boolean', 'jsonb', 'bigint', 'bigint', 'text'];

const SESSION_NAMES = [
  'client_id',
  'protocol_version',
  'expiry_interval',
  'disconnected_at',
  'subscriptions',
  'will',
  'identity',
];
const SESSION_TYPES = ['text', 'smallint', 'bigint', 'bigint', 'jsonb', 'jsonb', 'jsonb'];
const OUTBOUND_NAMES = ['client_id', 'seq', 'packet_id', 'state', ...MESSAGE_NAMES, 'subscription_ids'];
const OUTBOUND_TYPES = ['text', 'bigint', 'integer', 'text', ...MESSAGE_TYPES, 'jsonb'];

interface Statement {
  readonly sql: readonly string[];
  readonly arity: number;
}

/**
 * One statement (or, for deleteSession, three) per kind, each taking every row of a run as array
 * parameters: a run of 1000 writes costs one round trip, not 1000. Column order of `values` is
 * the order of the names above.
 */
const STATEMENTS: Record<WriteKind, Statement> = {
  putSession: { sql: [upsert('engine_sessions', SESSION_NAMES, SESSION_TYPES, ['client_id'])], arity: 7 },
  deleteSession: {
    sql: ['engine_sessions', 'engine_outbound', 'engine_inbound_qos2'].map(
      (table) => `DELETE FROM ${table} WHERE client_id = ANY($1::text[])`,
    ),
    arity: 1,
  },
  putOutbound: {
    sql: [upsert('engine_outbound', OUTBOUND_NAMES, OUTBOUND_TYPES, ['client_id', 'seq'])],
    arity: OUTBOUND_NAMES.length,
  },
  deleteOutbound: {
    sql: [deleteWhere('engine_outbound', ['client_id', 'seq'], ['text', 'bigint'])],
    arity: 2,
  },
  addInbound: {
    sql: [
      `INSERT INTO engine_inbound_qos2 (client_id, packet_id) SELECT * FROM ${unnest(['text', 'integer'])}
        ON CONFLICT DO NOTHING`,
    ],
    arity: 2,
  },
  deleteInbound: {
    sql: [deleteWhere('engine_inbound_qos2', ['client_id', 'packet_id'], ['text', 'integer'])],
    arity: 2,
  },
  putRetained: { sql: [upsert('engine_retained', MESSAGE_NAMES, MESSAGE_TYPES, ['topic'])], arity: 8 },
  deleteRetained: { sql: [deleteWhere('engine_retained', ['topic'], ['text'])], arity: 1 },
};

/**
 * Applies `writes` in order on `client` (inside the caller's transaction). Consecutive writes of
 * one kind touch distinct rows (the batcher keeps one write per row), so a run is order-free and
 * goes in one statement; the order between runs is kept.
 */
export async function applyWrites(client: pg.PoolClient, writes: readonly PgWrite[]): Promise<void> {
  let start = 0;
  while (start < writes.length) {
    const kind = writes[start]?.kind as WriteKind;
    let end = start + 1;
    while (end < writes.length && writes[end]?.kind === kind) end++;
    const statement = STATEMENTS[kind];
    const params = columns(
      writes.slice(start, end).map((w) => w.values),
      statement.arity,
    );
    for (const sql of statement.sql) await client.query(sql, params);
    start = end;
  }
}
