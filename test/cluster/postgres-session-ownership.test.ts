import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import {
  ClusterClosedError,
  ClusterOverloadedError,
  ClusterSchemaError,
  ClusterUnavailableError,
} from '../../src/cluster/postgres/errors.js';
import {
  type Claimed,
  PostgresSessionOwnership,
} from '../../src/cluster/postgres/postgres-session-ownership.js';
import { openClusterPool } from '../../src/cluster/postgres/schema.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { freshDatabase, postgresTestOptions, queryAt } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { clusterDatabase, viaPort } from './cluster-database.js';

const options = postgresTestOptions();

/** Counts the statements a pool runs (each pool.query is one statement here). */
function countStatements(pool: pg.Pool): { count: () => number } {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  let count = 0;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    count++;
    return query(...args);
  };
  return { count: () => count };
}

function ownership(
  pool: pg.Pool,
  nodeId: string,
  closeFirst: (close: () => Promise<unknown>) => void,
): PostgresSessionOwnership {
  const owner = new PostgresSessionOwnership({ pool, nodeId });
  closeFirst(() => owner.close());
  return owner;
}

/** The keys `node` owns, sorted, read from the table. */
/** A member row for `node` at incarnation 1 whose last heartbeat is a minute old: a dead node. */
async function silentMember(url: string, node: string): Promise<void> {
  await queryAt(
    url,
    `INSERT INTO cluster_nodes VALUES ('${node}', 1, now(), now() - interval '1 minute', NULL)`,
  );
}

/** `node` restarted: its member row is at incarnation 2, started and beating now. */
async function restarted(url: string, node: string): Promise<void> {
  await queryAt(
    url,
    `UPDATE cluster_nodes SET incarnation = 2, started_at = now(), heartbeat_at = now() WHERE node_id = '${node}'`,
  );
}

async function ownedBy(pool: pg.Pool, node: string): Promise<string[]> {
  const { rows } = await pool.query<{ session_key: string }>(
    'SELECT session_key FROM cluster_sessions WHERE node_id = $1 ORDER BY session_key',
    [node],
  );
  return rows.map((row) => row.session_key);
}

test(
  'session ownership - a new key starts at epoch 1; every claim moves it by 1 and names the owner before',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = ownership(pool, 'a', closeFirst);
    const b = ownership(pool, 'b', closeFirst);
    assert.deepEqual(await a.claim('s1'), { epoch: 1, previousNode: undefined });
    assert.deepEqual(await a.claim('s1'), { epoch: 2, previousNode: undefined }); // it was this node
    assert.deepEqual(await b.claim('s1'), { epoch: 3, previousNode: 'a' });
    assert.deepEqual(await a.ownersOf(['s1', 'unknown']), new Map([['s1', { node: 'b', epoch: 3 }]]));
    assert.deepEqual(await ownedBy(pool, 'b'), ['s1']);
    assert.deepEqual(await ownedBy(pool, 'a'), []);
  },
);

test(
  'session ownership - 1,000 claims issued in one event-loop turn go in one statement',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const counter = countStatements(pool);
    const a = ownership(pool, 'a', closeFirst);
    const claims = Array.from({ length: 1000 }, (_, i) => a.claim(`key-${i}`));
    const answers = await Promise.all(claims);
    assert.equal(counter.count(), 1);
    assert.equal(a.stats.statements, 1);
    assert.ok(answers.every((c) => c.epoch === 1 && c.previousNode === undefined));
    assert.equal((await ownedBy(pool, 'a')).length, 1000);
  },
);

test(
  'session ownership - the same key twice in one batch: both answered, epochs distinct and increasing, the later one wins',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = ownership(pool, 'a', closeFirst);
    const b = ownership(pool, 'b', closeFirst);
    await b.claim('k');
    const answers = await Promise.all([a.claim('k'), a.claim('other'), a.claim('k'), a.claim('k')]);
    assert.deepEqual(answers, [
      { epoch: 2, previousNode: 'b' },
      { epoch: 1, previousNode: undefined },
      { epoch: 3, previousNode: undefined },
      { epoch: 4, previousNode: undefined },
    ]);
    assert.equal(a.stats.statements, 1);
    assert.deepEqual((await a.ownersOf(['k'])).get('k'), { node: 'a', epoch: 4 });
  },
);

test(
  'session ownership - 1,000 concurrent claims from two nodes on 1,000 keys: one owner per key, epochs strictly increasing, previousNode consistent',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    // Each node on its own pool, as two processes would be.
    const otherPool = await openClusterPool(new URL(pool.options.connectionString as string).toString());
    closeFirst(() => otherPool.end());
    const nodes = { a: ownership(pool, 'a', closeFirst), b: ownership(otherPool, 'b', closeFirst) };
    const keys = Array.from({ length: 1000 }, (_, i) => `client-${i}`);
    const shuffled = (seed: number) =>
      keys
        .map((key, i) => ({ key, order: (i * 7919 + seed * 104_729) % 1000 }))
        .sort((x, y) => x.order - y.order);
    type Answer = Claimed & { node: 'a' | 'b'; key: string };
    const issue = async (node: 'a' | 'b', seed: number): Promise<Answer[]> => {
      const pending: Promise<Answer>[] = [];
      let turn = 0;
      for (const { key } of shuffled(seed)) {
        // Spread over many turns (and so many batches racing the other node's), some keys twice.
        if (turn++ % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        const times = key.endsWith('7') ? 2 : 1;
        for (let n = 0; n < times; n++) {
          pending.push(nodes[node].claim(key).then((c) => ({ ...c, node, key })));
        }
      }
      return Promise.all(pending);
    };
    const answers = (await Promise.all([issue('a', 1), issue('b', 2)])).flat();
    assert.equal(answers.length, 2 * (1000 + 100));
    assert.ok(nodes.a.stats.statements > 1 && nodes.b.stats.statements > 1, 'batches of both nodes raced');

    const byKey = new Map<string, Answer[]>();
    for (const answer of answers) byKey.set(answer.key, [...(byKey.get(answer.key) ?? []), answer]);
    const owners = await nodes.a.ownersOf(keys);
    assert.equal(owners.size, 1000);
    for (const [key, claims] of byKey) {
      claims.sort((x, y) => x.epoch - y.epoch);
      // Every claim of the key got its own epoch, 1, 2, 3, … in the order they took the row.
      assert.deepEqual(
        claims.map((c) => c.epoch),
        claims.map((_, i) => i + 1),
        key,
      );
      for (const [i, claim] of claims.entries()) {
        const before = claims[i - 1];
        const expected = before === undefined || before.node === claim.node ? undefined : before.node;
        assert.equal(claim.previousNode, expected, `${key} epoch ${claim.epoch}`);
      }
      const last = claims.at(-1);
      assert.deepEqual(owners.get(key), { node: last?.node, epoch: last?.epoch });
    }
  },
);

test(
  'session ownership - release deletes the row only at the epoch and node that hold it; flush is the barrier',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = ownership(pool, 'a', closeFirst);
    const b = ownership(pool, 'b', closeFirst);
    const first = await a.claim('s');
    const second = await a.claim('s');
    a.release('s', first.epoch); // stale epoch: the session was claimed again since
    b.release('s', second.epoch); // another node: not its row
    await Promise.all([a.flush(), b.flush()]);
    assert.deepEqual(await a.ownersOf(['s']), new Map([['s', { node: 'a', epoch: 2 }]]));
    assert.equal(await a.stillOwns('s', 2), true);
    a.release('s', second.epoch);
    await a.flush();
    assert.deepEqual(await a.ownersOf(['s']), new Map());
    assert.equal(await a.stillOwns('s', 2), false);
    assert.equal(a.stats.releases, 2);
  },
);

test(
  'session ownership - stillOwns is false once another node claimed the session (fencing)',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = ownership(pool, 'a', closeFirst);
    const b = ownership(pool, 'b', closeFirst);
    const mine = await a.claim('s');
    assert.equal(await a.stillOwns('s', mine.epoch), true);
    assert.equal(await b.stillOwns('s', mine.epoch), false);
    await b.claim('s');
    assert.equal(await a.stillOwns('s', mine.epoch), false);
  },
);

test(
  'session ownership - two survivors adopting a dead node at once: each session goes to exactly one, at epoch + 1',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const otherPool = await openClusterPool(new URL(pool.options.connectionString as string).toString());
    closeFirst(() => otherPool.end());
    const dead = ownership(pool, 'dead', closeFirst);
    const keys = Array.from({ length: 3000 }, (_, i) => `orphan-${i}`);
    await Promise.all(keys.map((key) => dead.claim(key)));
    await dead.claim('orphan-0'); // epoch 2 for one of them
    const a = ownership(pool, 'a', closeFirst);
    const b = ownership(otherPool, 'b', closeFirst);
    const [byA, byB] = await Promise.all([a.adopt('dead'), b.adopt('dead')]);
    const adopted = [...byA, ...byB];
    assert.equal(adopted.length, keys.length);
    assert.equal(new Set(adopted.map((r) => r.sessionKey)).size, keys.length);
    assert.deepEqual(await ownedBy(pool, 'dead'), []);
    const owners = await a.ownersOf(keys);
    for (const { sessionKey, epoch } of byA) assert.deepEqual(owners.get(sessionKey), { node: 'a', epoch });
    for (const { sessionKey, epoch } of byB) assert.deepEqual(owners.get(sessionKey), { node: 'b', epoch });
    assert.equal(owners.get('orphan-0')?.epoch, 3);
    assert.equal(owners.get('orphan-1')?.epoch, 2);
    // The adopter is the previous owner for the next claim.
    const next = await dead.claim('orphan-1');
    assert.equal(next.previousNode, owners.get('orphan-1')?.node);
  },
);

test(
  'session ownership - a resumed claim leaves a session of a node whose heartbeat expired for its adopter (naming the dead owner), in a batch with claims that go through; a clean start takes it',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    await silentMember(url, 'dead');
    await queryAt(url, "INSERT INTO cluster_nodes VALUES ('live', 1, now(), now(), NULL)");
    const dead = ownership(pool, 'dead', closeFirst);
    const live = ownership(pool, 'live', closeFirst);
    await Promise.all([dead.claim('orphan'), dead.claim('other-orphan'), live.claim('kept')]);
    const a = ownership(pool, 'a', closeFirst);
    const [orphan, kept, fresh] = await Promise.all([
      a.claim('orphan', false),
      a.claim('kept', false),
      a.claim('fresh', false),
    ]);
    assert.equal(a.stats.statements, 1, 'one statement for the batch');
    assert.deepEqual(orphan, { deadOwner: 'dead' });
    assert.deepEqual(kept, { epoch: 2, previousNode: 'live' }, 'a live owner is asked to let go as before');
    assert.deepEqual(fresh, { epoch: 1, previousNode: undefined });
    assert.deepEqual(await a.ownersOf(['orphan']), new Map([['orphan', { node: 'dead', epoch: 1 }]]));
    // The adopter takes it; a clean start (or a wait for the adopter run out) takes one anyway.
    const adopted = await ownership(pool, 'survivor', closeFirst).adopt('dead', 1);
    assert.deepEqual(
      adopted.sort((x, y) => x.sessionKey.localeCompare(y.sessionKey)),
      [
        { sessionKey: 'orphan', epoch: 2 },
        { sessionKey: 'other-orphan', epoch: 2 },
      ],
    );
    assert.deepEqual(await a.claim('orphan', false), { epoch: 3, previousNode: 'survivor' });
    await dead.claim('late');
    assert.deepEqual(await a.claim('late', true), { epoch: 2, previousNode: 'dead' });
  },
);

test(
  'session ownership - a will kept at the epoch held comes back with the adoption of the node that kept it; one kept at a stale epoch is ignored; one another node kept is not published for this one',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    const dead = ownership(pool, 'dead', closeFirst);
    const other = ownership(pool, 'other', closeFirst);
    const held = await dead.claim('with-will');
    const stale = await dead.claim('stale');
    await dead.claim('stale'); // a newer claim: the will kept for the older one is refused
    await other.claim('moved');
    other.keepWill('moved', 1, Buffer.from('will of other'));
    await dead.claim('moved'); // taken over by the dead node, whose connection kept no will
    dead.keepWill('with-will', held.epoch, Buffer.from('will of dead'));
    dead.keepWill('stale', stale.epoch, Buffer.from('stale will'));
    const kept = async () =>
      (
        await queryAt<{ n: string }>(url, 'SELECT count(*) AS n FROM cluster_sessions WHERE will IS NOT NULL')
      )[0]?.n;
    const deadline = Date.now() + 5000;
    while ((await kept()) !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const adopted = await ownership(pool, 'survivor', closeFirst).adopt('dead');
    const wills = Object.fromEntries(adopted.map((row) => [row.sessionKey, row.will?.toString()]));
    assert.deepEqual(wills, { 'with-will': 'will of dead', stale: undefined, moved: undefined });
  },
);

test(
  'session ownership - adopt with the dead incarnation leaves sessions the node claimed after it came back',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    await silentMember(url, 'n');
    const n = ownership(pool, 'n', closeFirst);
    await n.claim('old');
    await restarted(url, 'n');
    await n.claim('new');
    const survivor = ownership(pool, 's', closeFirst);
    assert.deepEqual(await survivor.adopt('n', 1), [{ sessionKey: 'old', epoch: 2 }]);
    assert.deepEqual(await ownedBy(pool, 'n'), ['new']);
    // Without an incarnation, everything of the node moves.
    assert.deepEqual(await survivor.adopt('n'), [{ sessionKey: 'new', epoch: 2 }]);
  },
);

test(
  'session ownership - a restarted node takes up its previous run: adopting that run leaves those rows, and rows adopted first are not taken up',
  options,
  async (t) => {
    const { url, pool, closeFirst } = await clusterDatabase(t);
    await silentMember(url, 'n');
    await silentMember(url, 'm');
    const n = ownership(pool, 'n', closeFirst);
    const m = ownership(pool, 'm', closeFirst);
    for (const key of ['n-a', 'n-b']) await n.claim(key);
    for (const key of ['m-a', 'm-b']) await m.claim(key);
    const survivor = ownership(pool, 's', closeFirst);
    // n restarts (incarnation 2) and takes up its rows before the survivor adopts incarnation 1.
    await restarted(url, 'n');
    assert.deepEqual(await n.takeUp(), ['n-a', 'n-b']);
    assert.deepEqual(await survivor.adopt('n', 1), []);
    assert.deepEqual(await ownedBy(pool, 'n'), ['n-a', 'n-b']);
    // m is adopted first, then restarts: it takes up nothing, the survivor holds its rows.
    assert.deepEqual(
      (await survivor.adopt('m', 1)).map((row) => row.sessionKey),
      ['m-a', 'm-b'],
    );
    await restarted(url, 'm');
    assert.deepEqual(await m.takeUp(), []);
    assert.deepEqual(await ownedBy(pool, 's'), ['m-a', 'm-b']);
  },
);

test(
  'session ownership - a batch that fails rejects every claim in it with ClusterUnavailableError; later batches work again',
  options,
  async (t) => {
    const { url, closeFirst } = await clusterDatabase(t);
    const direct = new URL(url);
    const proxy = await startTcpProxy(t, { host: direct.hostname, port: Number(direct.port) });
    const proxied = createPool(viaPort(url, proxy.port), { connectionTimeoutMs: 1000, name: 'cluster' });
    closeFirst(() => proxied.end());
    const a = ownership(proxied, 'a', closeFirst);
    await a.claim('before');
    proxy.down();
    const failed = await Promise.allSettled([a.claim('x'), a.claim('y')]);
    for (const result of failed) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof ClusterUnavailableError, String(result.reason));
      assert.equal(result.reason.code, 'CLUSTER_UNAVAILABLE');
    }
    a.release('before', 1);
    await assert.rejects(a.flush(), ClusterUnavailableError);
    await assert.rejects(a.ownersOf(['x']), ClusterUnavailableError);
    proxy.up();
    assert.deepEqual(await a.claim('x'), { epoch: 1, previousNode: undefined });
    await a.flush(); // the lost release was reported once
    assert.equal(a.stats.failedBatches, 2);
  },
);

test(
  'session ownership - a database without the cluster tables fails with ClusterSchemaError and the SQLSTATE',
  options,
  async (t) => {
    const url = await freshDatabase(t, () => bare.end());
    const bare = createPool(url);
    const a = new PostgresSessionOwnership({ pool: bare, nodeId: 'a' });
    const refused = await a.claim('k').then(
      () => assert.fail('claimed without tables'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof ClusterSchemaError);
    assert.equal(refused.sqlState, '42P01');
    await a.close();
  },
);

test(
  'session ownership - a will over the queue bound is dropped and counted at once; the wills of a statement that fails are counted when it fails (every queue has a limit)',
  options,
  async (t) => {
    const url = await freshDatabase(t, () => bare.end());
    const bare = createPool(url); // no cluster tables: the statement keeping the wills fails
    const a = new PostgresSessionOwnership({ pool: bare, nodeId: 'a', maxPending: 2 });
    for (const key of ['k1', 'k2', 'k3']) a.keepWill(key, 1, Buffer.from(`will of ${key}`));
    assert.equal(a.droppedWills, 1);
    await a.close(); // waits for the wills' statement
    assert.equal(a.droppedWills, 3);
  },
);

test(
  'session ownership - claims issued while a statement runs wait and go together in the next one; releases batch the same way',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = ownership(pool, 'a', closeFirst);
    // Another session holds the table, so the first claim's statement is still running (waiting
    // for the lock) however fast the database is, while the later claims are issued.
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE cluster_sessions IN EXCLUSIVE MODE');
    const first = a.claim('first');
    await new Promise((resolve) => setImmediate(resolve)); // the first statement is now running
    const later: Promise<Claimed>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 100; i++) later.push(a.claim(`later-${turn}-${i}`));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await holder.query('COMMIT');
    holder.release();
    const answers = [await first, ...(await Promise.all(later))];
    assert.ok(answers.every((c) => c.epoch === 1));
    assert.ok(a.stats.statements <= 3, `statements: ${a.stats.statements}`);
    const before = a.stats.statements;
    for (const [i, claimed] of later.entries())
      a.release(`later-${Math.floor(i / 100)}-${i % 100}`, (await claimed).epoch);
    await a.flush();
    assert.equal(a.stats.statements - before, 1);
    assert.deepEqual(await ownedBy(pool, 'a'), ['first']);
  },
);

test(
  'session ownership - a full claim queue refuses with ClusterOverloadedError (every queue has a limit)',
  options,
  async (t) => {
    const { pool, closeFirst } = await clusterDatabase(t);
    const a = new PostgresSessionOwnership({ pool, nodeId: 'a', maxPending: 10 });
    closeFirst(() => a.close());
    const claims = Array.from({ length: 11 }, (_, i) => a.claim(`k${i}`));
    const results = await Promise.allSettled(claims);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    const refused = results[10];
    assert.equal(refused?.status, 'rejected');
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof ClusterOverloadedError);
  },
);

test(
  'session ownership - after close, claims reject and releases throw ClusterClosedError; queued work was applied',
  options,
  async (t) => {
    const { pool } = await clusterDatabase(t);
    const a = new PostgresSessionOwnership({ pool, nodeId: 'a' });
    const claimed = await a.claim('s');
    a.release('s', claimed.epoch);
    await a.close();
    await a.close();
    await assert.rejects(a.claim('t'), ClusterClosedError);
    assert.throws(() => a.release('s', 1), ClusterClosedError);
    const reader = new PostgresSessionOwnership({ pool, nodeId: 'b' });
    assert.deepEqual(await reader.ownersOf(['s']), new Map());
    await reader.close();
  },
);
