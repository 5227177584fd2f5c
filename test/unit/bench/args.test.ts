import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BenchArgs, parseArgs, recordedArgs } from '../../../bench/lib/args.js';

function parsed(argv: string[]): BenchArgs {
  const args = parseArgs(argv);
  assert.notEqual(args, 'help');
  return args as BenchArgs;
}

test('bench: scenarios 2 and 3 run on SQLite, and on PostgreSQL too in the same run when a database is given', () => {
  assert.deepEqual(parsed([]).backends, ['sqlite']);
  const both = parsed(['--database-url', 'postgres://u:pw@127.0.0.1:5432/bench']);
  assert.deepEqual(both.backends, ['sqlite', 'postgres']);
  assert.equal(both.databaseUrl, 'postgres://u:pw@127.0.0.1:5432/bench');
  const pg = parsed(['--backend', 'postgres', '--database-url', 'postgres://u:pw@127.0.0.1:5432/bench']);
  assert.deepEqual(pg.backends, ['postgres']);
});

test('bench: --backend postgres without --database-url, or an unknown backend, is refused', () => {
  assert.throws(() => parseArgs(['--backend', 'postgres']), /--database-url/);
  assert.throws(() => parseArgs(['--backend', 'mysql']), /sqlite or postgres/);
});

test('bench: the results file never holds the database password', () => {
  const args = parsed([
    '--backend',
    'postgres',
    '--database-url',
    'postgres://u:secret@127.0.0.1:5432/bench',
  ]);
  const recorded = JSON.stringify(recordedArgs(args));
  assert.ok(!recorded.includes('secret'), recorded);
  assert.match(recorded, /postgres:\/\/u:\*\*\*@127\.0\.0\.1:5432\/bench/);
});
