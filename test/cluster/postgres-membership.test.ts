import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PostgresMembership,
  type PostgresMembershipOptions,
} from '../../src/cluster/postgres/postgres-membership.js';
import { PostgresSessionOwnership } from '../../src/cluster/postgres/postgres-session-ownership.js';
import { clusterMigrations, migrateCluster, openClusterPool } from '../../src/cluster/postgres/schema.js';
import { StoreVersionError } from '../../src/store/errors.js';
import { openPostgresStores } from '../../src/store/postgres/open-postgres-stores.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { clusterDatabase, once, until, viaPort } from './cluster-database.js';

const options = postgresTestOptions();

/** Fast timers: a node is dead 400 ms after its last heartbeat. */
const fast = { heartbeatMs: 40, deadAfterMs: 400 } as const;

const version = async (url: string) =>
  (await queryAt<{ version: number }>(url, 'SELECT version FROM devgate_cluster_schema'))[0]?.version;

test(
  'cluster schema - migrating twice is a no-op; the engine and cluster schemas share the database',
  options,
  async (t) => {
    const url = await freshDatabase(t);
    const engine = await openPostgresStores(url);
    await engine.close();
    const first = await openClusterPool(url);
    const again = await migrateCluster(first, 'test');
    await first.end();
    assert.deepEqual(again, { from: clusterMigrations.length, to: clusterMigrations.length });
    const second = await openClusterPool(url);
    await second.end();
    assert.equal(await version(url), clusterMigrations.length);
    const tables = await queryAt<{ tablename: string }>(
      url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const names = tables.map((r) => r.tablename);
    for (const name of [
      'cluster_nodes',
      'cluster_sessions',
      'devgate_cluster_schema',
      'devgate_engine_schema',
    ]) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
  },
);

test(
  'cluster schema - a newer version is refused untouched, with the version in the message',
  options,
  async (t) => {
    const url = await freshDatabase(t);
    await (await openClusterPool(url)).end();
    await queryAt(url, 'UPDATE devgate_cluster_schema SET version = $1', [clusterMigrations.length + 3]);
    const refused = await openClusterPool(url).then(
      () => assert.fail('opened a newer cluster schema'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof StoreVersionError);
    assert.equal(refused.foundVersion, clusterMigrations.length + 3);
    assert.match(refused.message, /newer than the \d+ this devgate supports/);
    assert.equal(await version(url), clusterMigrations.length + 3);
  },
);

/** A member with the fast timers, closed before the database is dropped. */
function member(
  base: Omit<PostgresMembershipOptions, 'nodeId'>,
  nodeId: string,
  closeFirst: (close: () => Promise<unknown>) => void,
): PostgresMembership {
  const membership = new PostgresMembership({ ...fast, ...base, nodeId });
  closeFirst(() => membership.close());
  return membership;
}

test(
  'membership - join writes the row with the database clock; each join is a new incarnation',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    const a = member({ pool, address: '10.0.0.1:1883' }, 'a', closeFirst);
    assert.deepEqual(await a.join(), { incarnation: 1 });
    const [row] = await queryAt<{ incarnation: string; address: string; skew_ms: number }>(
      url,
      `SELECT incarnation, address, abs(extract(epoch FROM (now() - heartbeat_at)) * 1000) AS skew_ms
     FROM cluster_nodes WHERE node_id = 'a'`,
    );
    assert.equal(row?.incarnation, '1');
    assert.equal(row?.address, '10.0.0.1:1883');
    assert.ok((row?.skew_ms ?? Infinity) < 5000);
    // Heartbeats move heartbeat_at forward.
    const beatAt = async () =>
      (
        await queryAt<{ at: Date }>(url, "SELECT heartbeat_at AS at FROM cluster_nodes WHERE node_id = 'a'")
      )[0]?.at;
    const before = await beatAt();
    await until(() => a.stats.heartbeats >= 2, 'two heartbeats');
    assert.ok(((await beatAt())?.getTime() ?? 0) > (before?.getTime() ?? 0));
    await a.close();
    const restarted = member({ pool }, 'a', closeFirst);
    assert.deepEqual(await restarted.join(), { incarnation: 2 });
    const b = member({ pool }, 'b', closeFirst);
    await b.join();
    assert.deepEqual(await restarted.liveNodes(), ['a', 'b']);
    assert.equal(restarted.fenced, false);
  },
);

test(
  'membership - a node whose heartbeats stop is reported dead once per incarnation',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const survivor = member({ pool }, 'survivor', closeFirst);
    const reports: [string, number][] = [];
    survivor.onNodeDead((node, incarnation) => {
      reports.push([node, incarnation]);
    });
    await survivor.join();
    const victim = member({ pool }, 'victim', closeFirst);
    await victim.join();
    const firstDeath = once(survivor.onNodeDead.bind(survivor));
    await victim.close(); // heartbeats stop; the row stays, as after a crash
    assert.deepEqual(await firstDeath, ['victim', 1]);
    const seen = survivor.stats.heartbeats;
    await until(() => survivor.stats.heartbeats >= seen + 5, 'five more heartbeats of the survivor');
    assert.deepEqual(reports, [['victim', 1]]);
    assert.deepEqual(await survivor.liveNodes(), ['survivor']);

    const back = member({ pool }, 'victim', closeFirst);
    assert.deepEqual(await back.join(), { incarnation: 2 });
    assert.deepEqual((await survivor.liveNodes()).sort(), ['survivor', 'victim']);
    const secondDeath = once(survivor.onNodeDead.bind(survivor));
    await back.close();
    assert.deepEqual(await secondDeath, ['victim', 2]);
    assert.deepEqual(reports, [
      ['victim', 1],
      ['victim', 2],
    ]);
  },
);

test(
  'membership - a node fences itself when PostgreSQL is unreachable for deadAfterMs, and rejoins as a new incarnation after',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    const direct = new URL(url);
    const proxy = await startTcpProxy(t, { host: direct.hostname, port: Number(direct.port) });
    const cut = member({ url: viaPort(url, proxy.port) }, 'cut', closeFirst);
    const observer = member({ pool }, 'observer', closeFirst);
    await observer.join();
    assert.deepEqual(await cut.join(), { incarnation: 1 });
    const fenced = once(cut.onFenced.bind(cut));
    const dead = once(observer.onNodeDead.bind(observer));
    const started = Date.now();
    proxy.down();
    const [reason] = await fenced;
    assert.match(reason, /no heartbeat succeeded for 400 ms/);
    // deadAfterMs after the last heartbeat that succeeded, sent at most one interval before the cut.
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= fast.deadAfterMs - fast.heartbeatMs - 20, `fenced ${elapsed} ms after the cut`);
    assert.ok(elapsed < fast.deadAfterMs + 1500, `fenced ${elapsed} ms after the cut`);
    assert.equal(cut.fenced, true);
    // Survivors see it dead by the database clock.
    assert.deepEqual(await dead, ['cut', 1]);

    const unfenced = once(cut.onUnfenced.bind(cut));
    proxy.up();
    await unfenced;
    assert.equal(cut.fenced, false);
    assert.equal(cut.incarnation, 2);
    assert.deepEqual(await observer.liveNodes(), ['cut', 'observer']);
  },
);

test(
  'membership - a node whose row is taken over by another process fences at once and stays fenced until the row is free',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const first = member({ pool }, 'same-id', closeFirst);
    await first.join();
    const fenced = once(first.onFenced.bind(first));
    const second = member({ pool }, 'same-id', closeFirst);
    assert.deepEqual(await second.join(), { incarnation: 2 });
    const [reason] = await fenced;
    assert.match(reason, /taken over/);
    const failures = first.stats.failedHeartbeats;
    await until(() => first.stats.failedHeartbeats >= failures + 3, 'three refused rejoins');
    assert.equal(first.fenced, true);
    assert.equal(second.fenced, false);
    // The other process leaves (its row marked dead): the fenced one rejoins after both
    // incarnations, so none repeats.
    const unfenced = once(first.onUnfenced.bind(first));
    await second.leave();
    await unfenced;
    assert.equal(first.fenced, false);
    assert.equal(first.incarnation, 3);
  },
);

test(
  'membership - leave marks the row dead at once: the survivors see it dead (once, within a heartbeat, long before the dead time) and adopt its sessions; a rejoin revives it',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    // A dead time far beyond the test: only the leave can make the node dead this soon.
    const slow = { heartbeatMs: 40, deadAfterMs: 60_000 } as const;
    const staying = member({ pool, ...slow }, 'staying', closeFirst);
    const reports: string[] = [];
    staying.onNodeDead((node) => {
      reports.push(node);
    });
    await staying.join();
    const leaving = member({ pool, ...slow }, 'leaving', closeFirst);
    await leaving.join();
    assert.deepEqual(await staying.liveNodes(), ['leaving', 'staying']);
    await leaving.leave();
    await leaving.close();
    await until(() => reports.length > 0, 'the leave reported as a death');
    const seen = staying.stats.heartbeats;
    await until(() => staying.stats.heartbeats >= seen + 5, 'more heartbeats');
    assert.deepEqual(reports, ['leaving'], 'reported once');
    assert.deepEqual(await staying.liveNodes(), ['staying']);
    const back = member({ pool, ...slow }, 'leaving', closeFirst);
    await back.join();
    assert.deepEqual(await staying.liveNodes(), ['leaving', 'staying']);
  },
);

test(
  'membership - a listener that throws does not stop the heartbeat or the other listeners',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const survivor = member({ pool }, 'survivor', closeFirst);
    survivor.onNodeDead(() => {
      throw new Error('listener bug');
    });
    survivor.onNodeDead(async () => {
      throw new Error('async listener bug');
    });
    const reported = once(survivor.onNodeDead.bind(survivor));
    await survivor.join();
    const victim = member({ pool }, 'victim', closeFirst);
    await victim.join();
    await victim.close();
    assert.deepEqual(await reported, ['victim', 1]);
    const seen = survivor.stats.heartbeats;
    await until(() => survivor.stats.heartbeats >= seen + 2, 'heartbeats after the throwing listener');
    assert.equal(survivor.fenced, false);
  },
);

test(
  'membership - rows of nodes dead past forgetAfterMs are deleted once they own no session',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    const survivor = member({ pool, forgetAfterMs: 600 }, 'survivor', closeFirst);
    await survivor.join();
    for (const node of ['owner', 'empty']) {
      const gone = member({ pool }, node, closeFirst);
      await gone.join();
      await gone.close();
    }
    const ownership = new PostgresSessionOwnership({ pool, nodeId: 'owner' });
    closeFirst(() => ownership.close());
    await ownership.claim('held');
    const rows = async () =>
      (await queryAt<{ node_id: string }>(url, 'SELECT node_id FROM cluster_nodes ORDER BY node_id')).map(
        (r) => r.node_id,
      );
    await until(async () => !(await rows()).includes('empty'), 'the empty dead node forgotten');
    assert.deepEqual(await rows(), ['owner', 'survivor']); // its session was not adopted yet
    const adopter = new PostgresSessionOwnership({ pool, nodeId: 'survivor' });
    closeFirst(() => adopter.close());
    assert.equal((await adopter.adopt('owner')).length, 1);
    await until(async () => (await rows()).length === 1, 'the adopted dead node forgotten');
    assert.deepEqual(await rows(), ['survivor']);
  },
);
