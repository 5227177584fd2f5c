/**
 * Session claims per second through PostgresSessionOwnership on a fresh database, three ways:
 * - one per turn: each claim awaited before the next is issued (one statement, one commit each);
 * - closed loop: C clients each claim, await, claim again (batches form from what waits);
 * - one burst: every claim issued in one turn (statements of up to maxBatchSize claims).
 * Half the claims are of new keys, half take over keys another node holds (row updates).
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/pg-session-claims.js --database-url postgres://postgres@127.0.0.1:5432/postgres \
 *     [--claims 50000] [--serial-claims 5000] [--concurrency 2000]
 *
 * The URL's user must be allowed to create databases: the run uses a fresh one and drops it.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresSessionOwnership } from '../src/cluster/postgres/postgres-session-ownership.js';
import { openClusterPool } from '../src/cluster/postgres/schema.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: process.env.DEVGATE_TEST_DATABASE_URL },
    claims: { type: 'string', default: '50000' },
    'serial-claims': { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '2000' },
  },
});
const claims = Number(args.claims);
const serialClaims = Number(args['serial-claims']);
const concurrency = Number(args.concurrency);

async function timed(
  what: string,
  count: number,
  run: () => Promise<unknown>,
  owner: PostgresSessionOwnership,
) {
  const statements = owner.stats.statements;
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const used = owner.stats.statements - statements;
  console.log(
    `${what.padEnd(28)} ${String(count).padStart(7)} claims  ${Math.round((count / ms) * 1000)
      .toString()
      .padStart(7)} claims/s  ${used} statements (${(count / used).toFixed(1)} claims each)`,
  );
}

async function main(): Promise<void> {
  const base = args['database-url'];
  if (base === undefined) throw new Error('--database-url (or DEVGATE_TEST_DATABASE_URL) is required');
  const name = `devgate_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const pool = await openClusterPool(url.toString());
  try {
    const mine = new PostgresSessionOwnership({ pool, nodeId: 'bench-a' });
    const other = new PostgresSessionOwnership({ pool, nodeId: 'bench-b' });
    // Keys another node holds, for the takeover half of each run.
    const held = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    for (const prefix of ['serial', 'loop', 'burst'])
      await Promise.all(held(prefix, claims).map((k) => other.claim(k)));
    const keys = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `${prefix}-${i}` : `${prefix}-new-${i}`));

    const serial = keys('serial', serialClaims);
    await timed(
      'one per turn',
      serial.length,
      async () => {
        for (const key of serial) await mine.claim(key);
      },
      mine,
    );

    const loop = keys('loop', claims);
    let next = 0;
    const client = async () => {
      while (next < loop.length) await mine.claim(loop[next++] as string);
    };
    await timed(
      `closed loop, ${concurrency} clients`,
      loop.length,
      () => Promise.all(Array.from({ length: concurrency }, client)),
      mine,
    );

    const burst = keys('burst', claims);
    await timed('one burst', burst.length, () => Promise.all(burst.map((k) => mine.claim(k))), mine);
    await mine.close();
    await other.close();
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
