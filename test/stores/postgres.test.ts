import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreUnavailableError, StoreVersionError, StoreWriteError } from '../../src/store/errors.js';
import { type PgMigration, pgLatestVersion, pgMigrations } from '../../src/store/postgres/migrations.js';
import { openPostgresStores } from '../../src/store/postgres/open-postgres-stores.js';
import { freshDatabase, postgresTestOptions, queryAt, SKIP_REASON } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { bareSession, fullMessage, fullSession, outbound } from './fixtures.js';
import { postgresHarness } from './postgres-harness.js';
import { describeRetainedStoreContract } from './retained-store.contract.js';
import { describeSessionStoreContract } from './session-store.contract.js';

const options = postgresTestOptions();

if (options.skip !== false) {
  test('PostgreSQL engine stores', { skip: SKIP_REASON }, () => {});
} else {
  describeSessionStoreContract('postgres', postgresHarness(), { durable: true });
  describeRetainedStoreContract('postgres', postgresHarness(), { durable: true });
  // One write per transaction: the contract must hold without coalescing too.
  describeSessionStoreContract('postgres, batch of 1', postgresHarness({ maxBatchSize: 1 }), {
    durable: true,
  });
}

const tables = async (url: string) =>
  (
    await queryAt<{ tablename: string }>(
      url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
  ).map((r) => r.tablename);

const version = async (url: string) =>
  (await queryAt<{ version: number }>(url, 'SELECT version FROM devgate_engine_schema'))[0]?.version;

test('PostgreSQL store - a fresh database gets every table at the latest version', options, async (t) => {
  const url = await freshDatabase(t);
  await (await openPostgresStores(url)).close();
  assert.deepEqual(await tables(url), [
    'devgate_engine_schema',
    'engine_inbound_qos2',
    'engine_outbound',
    'engine_retained',
    'engine_sessions',
  ]);
  assert.equal(await version(url), pgLatestVersion);
  assert.deepEqual(
    pgMigrations.map((m) => m.version),
    Array.from({ length: pgLatestVersion }, (_, i) => i + 1),
  );
});

test('PostgreSQL store - an older schema is upgraded in place, rows kept', options, async (t) => {
  const url = await freshDatabase(t);
  const v1 = await openPostgresStores(url, { migrations: pgMigrations.slice(0, 1) });
  v1.retained.put(fullMessage('kept'));
  await v1.close();
  const step: PgMigration = {
    version: pgLatestVersion + 1,
    description: 'test step: an index',
    up: (client) => client.query('CREATE INDEX engine_retained_created ON engine_retained (created_at)'),
  };
  const upgraded = await openPostgresStores(url, { migrations: [...pgMigrations, step] });
  t.after(() => upgraded.close());
  assert.equal(await version(url), pgLatestVersion + 1);
  assert.deepEqual(await upgraded.retained.loadAll(), [fullMessage('kept')]);
});

test(
  'PostgreSQL store - a newer schema is refused untouched, with the version in the message',
  options,
  async (t) => {
    const url = await freshDatabase(t);
    await (await openPostgresStores(url)).close();
    await queryAt(url, 'UPDATE devgate_engine_schema SET version = $1', [pgLatestVersion + 5]);
    const refused = await openPostgresStores(url).then(
      () => assert.fail('opened a newer schema'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof StoreVersionError);
    assert.equal(refused.foundVersion, pgLatestVersion + 5);
    assert.match(refused.message, /newer than the \d+ this devgate supports; upgrade devgate/);
    assert.doesNotMatch(refused.message, /password/);
    assert.equal(await version(url), pgLatestVersion + 5);
  },
);

test('PostgreSQL store - 10,000 writes go in a few transactions, none lost', options, async (t) => {
  const url = await freshDatabase(t, () => stores.close());
  const stores = await openPostgresStores(url);
  for (let c = 0; c < 10; c++) {
    stores.sessions.putSession(bareSession(`c${c}`));
    for (let seq = 998; seq >= 0; seq--) stores.sessions.putOutbound(`c${c}`, outbound(seq));
  }
  await stores.sessions.flush();
  assert.ok(stores.stats.commits >= 1 && stores.stats.commits <= 11, `commits: ${stores.stats.commits}`);
  assert.equal(stores.stats.failedCommits, 0);
  const [row] = await queryAt<{ n: string }>(url, 'SELECT count(*) AS n FROM engine_outbound');
  assert.equal(row?.n, '9990');
});

test(
  'PostgreSQL store - a failed commit rejects the next flush once; the store then recovers',
  options,
  async (t) => {
    const url = await freshDatabase(t, () => stores.close());
    const stores = await openPostgresStores(url);
    // Another session holds the row lock past our lock_timeout: the batch fails, like a busy database.
    stores.sessions.putSession(bareSession('c1'));
    await stores.sessions.flush();
    await queryAt(url, `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET lock_timeout = 200`);
    const peer = new (await import('pg')).default.Client({ connectionString: url });
    peer.on('error', () => undefined); // the database is dropped WITH (FORCE) after the test
    await peer.connect();
    await peer.query('BEGIN');
    await peer.query("SELECT * FROM engine_sessions WHERE client_id = 'c1' FOR UPDATE");
    // New pool connections pick up the database's lock_timeout.
    const blocked = await openPostgresStores(url);
    blocked.sessions.putSession({ ...bareSession('c1'), expiryInterval: 99 });
    await assert.rejects(blocked.sessions.flush(), StoreWriteError);
    await blocked.sessions.flush(); // reported once
    await peer.query('ROLLBACK');
    blocked.sessions.putSession({ ...bareSession('c1'), expiryInterval: 7 });
    await blocked.sessions.flush();
    const loaded = await blocked.sessions.loadAll();
    assert.deepEqual(
      loaded.map((l) => l.session.expiryInterval),
      [7],
    );
    await Promise.all([peer.end(), blocked.close()]);
  },
);

test(
  'PostgreSQL store - a full write queue drops writes and reports it, then recovers',
  options,
  async (t) => {
    const url = await freshDatabase(t, () => stores.close());
    const stores = await openPostgresStores(url, { maxBatchSize: 10, maxPendingWrites: 20 });
    for (let seq = 0; seq < 100; seq++) stores.sessions.putOutbound('c1', outbound(seq));
    await assert.rejects(stores.sessions.flush(), StoreWriteError);
    assert.ok(stores.stats.droppedWrites > 0);
    stores.retained.put(fullMessage('after'));
    await stores.retained.flush();
    assert.deepEqual(await stores.retained.loadAll(), [fullMessage('after')]);
  },
);

test(
  'PostgreSQL store - losing PostgreSQL (open connections cut, new ones refused) fails flushes without crashing; writes resume when it is back',
  options,
  async (t) => {
    const url = await freshDatabase(t, () => stores.close());
    const direct = new URL(url);
    const proxy = await startTcpProxy(t, { host: direct.hostname, port: Number(direct.port) });
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const stores = await openPostgresStores(viaProxy.toString(), { connectionTimeoutMs: 1000 });
    stores.sessions.putSession(bareSession('before'));
    await stores.sessions.flush();

    proxy.down(); // the pool's idle connection dies: an 'error' on the pool, handled
    stores.sessions.putSession(bareSession('while-down'));
    await assert.rejects(stores.sessions.flush(), StoreWriteError);
    stores.retained.put(fullMessage('while-down'));
    await assert.rejects(stores.retained.flush(), StoreWriteError);

    proxy.up();
    stores.sessions.putSession(bareSession('after'));
    await stores.sessions.flush();
    assert.deepEqual((await stores.sessions.loadAll()).map((l) => l.session.clientId).sort(), [
      'after',
      'before',
    ]);
  },
);

test('PostgreSQL store - an unreachable server fails the open with StoreUnavailableError, password masked', async () => {
  const refused = await openPostgresStores('postgres://devgate:topsecret@127.0.0.1:1/devgate', {
    connectionTimeoutMs: 1000,
  }).then(
    () => assert.fail('opened a database nobody serves'),
    (err: unknown) => err,
  );
  assert.ok(refused instanceof StoreUnavailableError);
  assert.equal(refused.code, 'STORE_UNAVAILABLE');
  assert.match(
    refused.message,
    /^cannot use the database at postgres:\/\/devgate:\*\*\*\*@127\.0\.0\.1:1\/devgate: /,
  );
  assert.doesNotMatch(refused.message, /topsecret/);
});

test(
  'PostgreSQL store - load reads sessions another store flushed, in one statement (a claimed session moving between nodes)',
  options,
  async (t) => {
    const url = await freshDatabase(t, async () => {
      await releasing.close();
      await claiming.close();
    });
    const releasing = await openPostgresStores(url);
    const claiming = await openPostgresStores(url);
    releasing.sessions.putSession(fullSession('moved'));
    releasing.sessions.putOutbound('moved', outbound(1, 'publish', 9, fullMessage('q')));
    releasing.sessions.addInboundQoS2('moved', 77);
    await releasing.sessions.flush();

    const pg = (await import('pg')).default;
    const query = pg.Client.prototype.query;
    let statements = 0;
    pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    let loaded: Awaited<ReturnType<typeof claiming.sessions.load>>;
    try {
      loaded = await claiming.sessions.load(['moved', 'absent']);
    } finally {
      pg.Client.prototype.query = query;
    }
    assert.equal(statements, 1);
    assert.deepEqual(loaded, [
      {
        session: fullSession('moved'),
        outbound: [outbound(1, 'publish', 9, fullMessage('q'))],
        inboundQoS2: [77],
      },
    ]);
  },
);
