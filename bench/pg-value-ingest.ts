/**
 * Value ingest through the platform's ValueStore, PostgreSQL next to SQLite in one run: D devices
 * each issue N one-point writes, C in flight per device (a write is issued when one of the
 * device's resolves, as QoS 1 uplinks waiting for their PUBACK). Reports values/s persisted (a
 * write counts once its promise resolved, i.e. after its COMMIT) and the ratio.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/pg-value-ingest.js --database-url postgres://postgres@127.0.0.1:5432/postgres \
 *     [--devices 1000] [--points 200] [--concurrency 20] [--streams 4] [--max-batch-points 10000]
 *
 * The URL's user must be allowed to create databases: the run uses a fresh one and drops it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { ValueStore } from '../src/platform/devices/value-store.js';
import { createPostgresValueStore } from '../src/platform/postgres/pg-value-store.js';
import { openPlatformPool } from '../src/platform/postgres/platform-pool.js';
import { openPlatformDatabase } from '../src/platform/sqlite/database.js';
import { createSqliteValueStore } from '../src/platform/sqlite/sqlite-value-store.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env.DEVGATE_TEST_DATABASE_URL },
    devices: { type: 'string', default: '1000' },
    points: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    streams: { type: 'string', default: '4' },
    'max-batch-points': { type: 'string' },
    only: { type: 'string' },
  },
});
const devices = Number(args.devices);
const pointsPerDevice = Number(args.points);
const concurrency = Number(args.concurrency);
const streams = Number(args.streams);

interface Result {
  readonly values: number;
  readonly ms: number;
  readonly perSecond: number;
  /** CPU time of this process during the run (the SQLite store's whole cost). */
  readonly nodeCpuMs: number;
}

/**
 * CPU ms (user + system) of the local PostgreSQL backends serving `database`, from /proc (the
 * cluster runs on this machine); undefined when they cannot be read. On a shared machine wall
 * time measures the neighbours too; CPU time per value does not.
 */
async function backendCpuMs(admin: pg.Client, database: string): Promise<number | undefined> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  let ticks = 0;
  try {
    for (const { pid } of rows) {
      const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return undefined;
  }
  return ticks * 10; // USER_HZ = 100 on Linux
}

/** Every device writes its points, `concurrency` writes in flight each; all must be stored. */
async function ingest(store: ValueStore, ids: readonly number[]): Promise<Result> {
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const base = t0;
  let failed = 0;
  const device = async (id: number, lane: number): Promise<void> => {
    for (let i = lane; i < pointsPerDevice; i += concurrency) {
      const stored = await store.write(id, [
        { dataStreamId: 1 + (i % streams), value: i * 0.5, ts: base + i },
      ]);
      if (!stored) failed++;
    }
  };
  const lanes: Promise<void>[] = [];
  for (const id of ids) for (let lane = 0; lane < concurrency; lane++) lanes.push(device(id, lane));
  await Promise.all(lanes);
  const ms = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (failed > 0) throw new Error(`${failed} writes were not stored`);
  const values = ids.length * pointsPerDevice;
  return {
    values,
    ms,
    perSecond: Math.round((values * 1000) / ms),
    nodeCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const DEVICE_COLUMNS =
  'name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts';

async function postgres(url: string): Promise<Result & { commits: number; serverCpuMs?: number }> {
  const name = `devgate_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pool = await openPlatformPool(target.toString());
  try {
    await pool.query(`INSERT INTO organizations (name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
      VALUES ('Bench', 'bench', 'ROOT', 'UTC', 'METRIC', 0, 0)`);
    await pool.query(`INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts)
      VALUES ('TMPLbench', 1, 'T', 0, 0)`);
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO devices (${DEVICE_COLUMNS})
       SELECT 'd' || i, 1, 1, 'CREATED', md5(i::text), '\\x00', 0, 0 FROM generate_series(1, $1) i RETURNING id`,
      [devices],
    );
    const store = createPostgresValueStore(pool, {
      ...(args['max-batch-points'] && { maxBatchPoints: Number(args['max-batch-points']) }),
    });
    await store.flush(); // the partitions made on open
    const before = await backendCpuMs(admin, name);
    const result = await ingest(
      store,
      rows.map((row) => row.id),
    );
    const after = await backendCpuMs(admin, name);
    const { rows: count } = await pool.query<{ n: number }>('SELECT count(*) AS n FROM history');
    if (count[0]?.n !== result.values) throw new Error(`history holds ${count[0]?.n} of ${result.values}`);
    const serverCpuMs = before !== undefined && after !== undefined ? after - before : undefined;
    return { ...result, commits: store.stats.commits, ...(serverCpuMs !== undefined && { serverCpuMs }) };
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function sqlite(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-bench-'));
  const db = openPlatformDatabase(join(dir, 'platform.sqlite'));
  try {
    db.exec(`INSERT INTO organizations (name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
      VALUES ('Bench', 'bench', 'ROOT', 'UTC', 'METRIC', 0, 0);
      INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts)
      VALUES ('TMPLbench', 1, 'T', 0, 0)`);
    const insert = db.prepare(
      `INSERT INTO devices (${DEVICE_COLUMNS}) VALUES (?, 1, 1, 'CREATED', ?, x'00', 0, 0) RETURNING id`,
    );
    const ids = db.transaction(() =>
      Array.from({ length: devices }, (_, i) => (insert.get(`d${i}`, `hash${i}`) as { id: number }).id),
    )();
    const store = createSqliteValueStore(db);
    const result = await ingest(store, ids);
    await store.flush();
    return result;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const url = args['database-url'];
if (url === undefined) throw new Error('--database-url (or DEVGATE_TEST_DATABASE_URL) is required');
const setup = `${devices} devices × ${pointsPerDevice} points, ${concurrency} writes in flight per device`;
process.stdout.write(`value ingest: ${setup}\n`);
const pgResult = args.only === 'sqlite' ? undefined : await postgres(url);
/** µs of CPU per value. */
const perValue = (cpuMs: number, values: number): string => ((cpuMs * 1000) / values).toFixed(1);
if (pgResult) {
  const { values, ms, commits, nodeCpuMs, serverCpuMs } = pgResult;
  const server = serverCpuMs === undefined ? '' : `, PostgreSQL ${perValue(serverCpuMs, values)}`;
  process.stdout.write(
    `postgresql: ${pgResult.perSecond} values/s (${values} in ${ms} ms, ${commits} commits; ` +
      `CPU per value: node ${perValue(nodeCpuMs, values)} µs${server} µs)\n`,
  );
}
const sqliteResult = args.only === 'postgres' ? undefined : await sqlite();
if (sqliteResult)
  process.stdout.write(
    `sqlite:     ${sqliteResult.perSecond} values/s (${sqliteResult.values} in ${sqliteResult.ms} ms; ` +
      `CPU per value: node ${perValue(sqliteResult.nodeCpuMs, sqliteResult.values)} µs)\n`,
  );
if (pgResult && sqliteResult)
  process.stdout.write(`postgresql / sqlite: ${(pgResult.perSecond / sqliteResult.perSecond).toFixed(2)}\n`);
