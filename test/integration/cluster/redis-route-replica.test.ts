import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { LocalRoutes } from '../../../src/cluster/local-routes.js';
import { RedisRouteReplica } from '../../../src/cluster/redis/redis-route-replica.js';
import { MAX_PENDING_ROUTES, MAX_ROUTES_PER_MESSAGE } from '../../../src/cluster/redis/redis-route-writer.js';
import { RemoteRoutes } from '../../../src/cluster/remote-routes.js';
import { routeKey } from '../../../src/cluster/route-key.js';
import type { Route } from '../../../src/cluster/types.js';
import { redisTestOptions, startRedis } from '../../helpers/redis.js';
import { WAIT_MS } from '../../helpers/wait.js';

interface Node {
  readonly id: string;
  readonly replica: RedisRouteReplica;
  readonly remote: RemoteRoutes;
}

async function startNode(t: TestContext, url: string, id: string, initial: Route[] = []): Promise<Node> {
  const replica = new RedisRouteReplica({ url, nodeId: id, logger: pino({ level: 'silent' }) });
  t.after(() => replica.close());
  const remote = new RemoteRoutes();
  await replica.start(remote, initial);
  return { id, replica, remote };
}

/** A raw connection for looking at and tampering with what the replicas keep in Redis. */
function inspector(t: TestContext, url: string): Redis {
  const redis = new Redis(url);
  redis.on('error', () => undefined); // some tests stop the server under it
  t.after(() => redis.disconnect());
  return redis;
}

const keysOf = (routes: readonly Route[]): string[] => routes.map(routeKey).sort();

/**
 * Waits until `node` holds exactly `routes` for `of`. Replication is asynchronous and exposes no
 * event, so the condition is polled, bounded by WAIT_MS.
 */
async function converged(node: Node, of: string, routes: readonly Route[] | undefined): Promise<void> {
  const expected = routes === undefined ? undefined : keysOf(routes);
  const started = Date.now();
  for (;;) {
    const held = node.remote.nodes().includes(of) ? keysOf(node.remote.routesOf(of)) : undefined;
    if (JSON.stringify(held) === JSON.stringify(expected)) return;
    if (Date.now() - started > WAIT_MS) {
      assert.fail(
        `${node.id} holds ${JSON.stringify(held)?.slice(0, 200)} for ${of}, not ${JSON.stringify(expected)?.slice(0, 200)}`,
      );
    }
    await sleep(5);
  }
}

const r = (filter: string, share?: string): Route => (share === undefined ? { filter } : { filter, share });

test('three replicas see each other’s routes, including share groups', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const a = await startNode(t, redis.url, 'a', [r('$dev/1/downlink/#')]);
  const b = await startNode(t, redis.url, 'b', [r('x/+', 'g')]);
  const c = await startNode(t, redis.url, 'c');
  c.replica.announce({ added: [r('x/+', 'g'), r('#')], removed: [] });
  for (const [node, others] of [
    [a, [b, c]],
    [b, [a, c]],
    [c, [a, b]],
  ] as const) {
    for (const other of others) {
      await converged(
        other,
        node.id,
        node === a ? [r('$dev/1/downlink/#')] : node === b ? [r('x/+', 'g')] : [r('x/+', 'g'), r('#')],
      );
    }
  }
  const match = a.remote.match('x/y');
  assert.deepEqual(match.direct, ['c']);
  assert.deepEqual(
    match.groups.map((g) => [g.route, [...g.nodes].sort()]),
    [[r('x/+', 'g'), ['b', 'c']]],
  );
  assert.deepEqual(
    b.remote.match('$dev/1/downlink/ds/v').direct,
    ['a'],
    '# on c does not match a $ topic [MQTT-4.7.2-1]',
  );
  assert.deepEqual(b.remote.nodes().sort(), ['a', 'c'], 'a node never lists itself');
});

test(
  'changes are applied in order: an add then a remove in later batches ends removed',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const a = await startNode(t, redis.url, 'a');
    const b = await startNode(t, redis.url, 'b');
    const truth = new Map<string, Route>();
    for (let i = 0; i < 200; i++) {
      const route = r(`t/${i % 7}`);
      const adding = !truth.has(routeKey(route));
      a.replica.announce(adding ? { added: [route], removed: [] } : { added: [], removed: [route] });
      if (adding) truth.set(routeKey(route), route);
      else truth.delete(routeKey(route));
      if (i % 3 === 0) await sleep(0); // spread over several writes, some while one is in flight
    }
    await converged(b, 'a', [...truth.values()]);
    const stored = await inspector(t, redis.url).smembers('devgate:routes:a');
    assert.deepEqual(stored.sort(), keysOf([...truth.values()]));
  },
);

test(
  'a subscriber whose connection was killed reloads every node and converges',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const raw = inspector(t, redis.url);
    const a = await startNode(t, redis.url, 'a', [r('a/1')]);
    const b = await startNode(t, redis.url, 'b');
    await converged(b, 'a', [r('a/1')]);
    const clients = await raw.client('LIST');
    const id = /id=(\d+) [^\n]*name=devgate-routes-sub:b /.exec(String(clients))?.[1];
    assert.ok(id, 'b’s subscriber connection is named');
    await raw.client('KILL', 'ID', id);
    // Published while b's subscriber is away: pub/sub does not keep it for b.
    a.replica.announce({ added: [r('a/2')], removed: [r('a/1')] });
    await a.replica.settled();
    await converged(b, 'a', [r('a/2')]);
  },
);

test(
  'a gap in a node’s sequence makes the receiver reload that node’s set',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const raw = inspector(t, redis.url);
    const a = await startNode(t, redis.url, 'a', [r('a/1')]);
    const b = await startNode(t, redis.url, 'b');
    await converged(b, 'a', [r('a/1')]);
    const [run, seq] = String(await raw.hget('devgate:route-versions', 'a')).split(':');
    // A change b never saw: in the stored set, its message lost; the next message skips a number.
    await raw.sadd('devgate:routes:a', 'lost/change');
    await raw.hset('devgate:route-versions', 'a', `${run}:${Number(seq) + 2}`);
    await raw.publish(
      'devgate:route-changes',
      JSON.stringify({ type: 'change', node: 'a', run, seq: Number(seq) + 2, added: [], removed: [] }),
    );
    await converged(b, 'a', [r('a/1'), r('lost/change')]);
    assert.equal(a.remote.size, 0);
  },
);

test(
  'after Redis restarts empty every node rewrites its set and all converge',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const a = await startNode(t, redis.url, 'a', [r('a/1'), r('s/+', 'g')]);
    const b = await startNode(t, redis.url, 'b', [r('b/1')]);
    await converged(b, 'a', [r('a/1'), r('s/+', 'g')]);
    await converged(a, 'b', [r('b/1')]);
    await redis.kill();
    a.replica.announce({ added: [r('a/2')], removed: [] }); // made while Redis is away
    await redis.start();
    await converged(b, 'a', [r('a/1'), r('a/2'), r('s/+', 'g')]);
    await converged(a, 'b', [r('b/1')]);
    const raw = inspector(t, redis.url);
    assert.deepEqual((await raw.smembers('devgate:routes:b')).sort(), ['b/1']);
    assert.deepEqual((await raw.smembers('devgate:route-nodes')).sort(), ['a', 'b']);
    await a.replica.ping();
  },
);

test('a restarted node replaces its stale set; the others follow', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const first = await startNode(t, redis.url, 'a', [r('old/1'), r('old/2')]);
  const b = await startNode(t, redis.url, 'b');
  await converged(b, 'a', [r('old/1'), r('old/2')]);
  await first.replica.close(); // a crash leaves the set behind
  await startNode(t, redis.url, 'a', [r('new/1')]);
  await converged(b, 'a', [r('new/1')]);
  assert.deepEqual(await inspector(t, redis.url).smembers('devgate:routes:a'), ['new/1']);
});

test(
  'dropNode removes a dead node’s routes everywhere; a live node dropped by mistake restores its set',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const raw = inspector(t, redis.url);
    const a = await startNode(t, redis.url, 'a');
    const b = await startNode(t, redis.url, 'b');
    const c = await startNode(t, redis.url, 'c', [r('c/1')]);
    await converged(b, 'c', [r('c/1')]);
    await c.replica.close();
    await a.replica.dropNode('c');
    assert.ok(!a.remote.nodes().includes('c'), 'the dropping node forgets it at once');
    await converged(b, 'c', undefined);
    assert.equal(await raw.exists('devgate:routes:c'), 0);
    assert.equal(await raw.sismember('devgate:route-nodes', 'c'), 0);
    assert.equal(await raw.hexists('devgate:route-versions', 'c'), 0);

    b.replica.announce({ added: [r('b/1')], removed: [] });
    await converged(a, 'b', [r('b/1')]);
    await a.replica.dropNode('b');
    await converged(a, 'b', [r('b/1')]);
    assert.deepEqual(await raw.smembers('devgate:routes:b'), ['b/1']);
  },
);

test(
  '10,000 routes announced in one turn take a bounded number of round trips',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const raw = inspector(t, redis.url);
    const a = await startNode(t, redis.url, 'a');
    const b = await startNode(t, redis.url, 'b');
    await raw.config('RESETSTAT');
    const routes = Array.from({ length: 10_000 }, (_, i) => r(`$dev/${i}/downlink/#`));
    for (const route of routes) a.replica.announce({ added: [route], removed: [] });
    await a.replica.settled();
    await converged(b, 'a', routes);
    const calls = async (command: string): Promise<number> => {
      const stats = String(await raw.info('commandstats'));
      return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    };
    assert.equal(await calls('exec'), 1, 'one transaction by a, and no reload by b');
    assert.equal(await calls('publish'), routes.length / MAX_ROUTES_PER_MESSAGE, 'messages of bounded size');
    assert.ok((await calls('sadd')) <= 12, `${await calls('sadd')} SADD commands`);
    assert.ok(b.remote.match('$dev/17/downlink/ds/x').direct.includes('a'));

    // Removals and additions split over messages at any boundary still apply in order.
    await raw.config('RESETSTAT');
    const added = Array.from({ length: 1_500 }, (_, i) => r(`new/${i}`));
    a.replica.announce({ added, removed: routes.slice(0, 3_000) });
    await a.replica.settled();
    await converged(b, 'a', [...routes.slice(3_000), ...added]);
    assert.equal(await calls('exec'), 1, 'still no reload by b');
    assert.equal(await calls('publish'), 3);
  },
);

test('a backlog beyond its bound becomes one rewrite of the whole set', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const raw = inspector(t, redis.url);
  const a = await startNode(t, redis.url, 'a', [r('kept/1'), r('gone/1')]);
  const b = await startNode(t, redis.url, 'b');
  await raw.config('RESETSTAT');
  const routes = Array.from({ length: MAX_PENDING_ROUTES + 1 }, (_, i) => r(`$dev/${i}/downlink/#`));
  a.replica.announce({ added: routes, removed: [r('gone/1')] });
  await a.replica.settled();
  const stats = String(await raw.info('commandstats'));
  assert.match(stats, /cmdstat_del:calls=1,/, 'the set was replaced, not patched');
  assert.equal(await raw.scard('devgate:routes:a'), MAX_PENDING_ROUTES + 2);
  await converged(b, 'a', [r('kept/1'), ...routes]);
});

test('garbage on the channel and invalid stored routes stop nothing', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const raw = inspector(t, redis.url);
  const a = await startNode(t, redis.url, 'a', [r('a/1')]);
  const b = await startNode(t, redis.url, 'b');
  await raw.publish('devgate:route-changes', 'not json');
  await raw.publish('devgate:route-changes', JSON.stringify({ type: 'change', node: 'a', seq: 'x' }));
  await raw.sadd('devgate:routes:a', 'bad/#/filter', '$share//x');
  await raw.publish(
    'devgate:route-changes',
    JSON.stringify({ type: 'full', node: 'a', run: 'other', seq: 1 }),
  );
  a.replica.announce({ added: [r('a/2')], removed: [] });
  await converged(b, 'a', [r('a/1'), r('a/2')]);
});

test('ping rejects while Redis is down and close never hangs', redisTestOptions(), async (t) => {
  const redis = await startRedis(t);
  const a = await startNode(t, redis.url, 'a', [r('a/1')]);
  await a.replica.ping();
  await redis.kill();
  await assert.rejects(a.replica.ping(300)); // at once when the close was seen, else by the bound
  a.replica.announce({ added: [r('a/2')], removed: [] }); // never throws
  await a.replica.close();
});

test(
  'start fails when Redis is unreachable, and leaves no reconnect loop behind',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    await redis.kill();
    const replica = new RedisRouteReplica({ url: redis.url, nodeId: 'a', logger: pino({ level: 'silent' }) });
    await assert.rejects(replica.start(new RemoteRoutes(), []));
  },
);

test(
  'seeded churn through LocalRoutes, with killed subscribers and a Redis restart, converges to the truth',
  redisTestOptions(),
  async (t) => {
    const redis = await startRedis(t);
    const raw = inspector(t, redis.url);
    const nodes: { node: Node; local: LocalRoutes; subscriptions: Route[] }[] = [];
    for (const id of ['a', 'b', 'c']) {
      const replica = new RedisRouteReplica({
        url: redis.url,
        nodeId: id,
        logger: pino({ level: 'silent' }),
      });
      t.after(() => replica.close());
      const local = new LocalRoutes((change) => replica.announce(change));
      const remote = new RemoteRoutes();
      await replica.start(remote, local.snapshot());
      nodes.push({ node: { id, replica, remote }, local, subscriptions: [] });
    }
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 150; round++) {
      for (let k = 0; k < 20; k++) {
        const n = nodes[random(nodes.length)]!;
        if (random(3) > 0 || n.subscriptions.length === 0) {
          const route =
            random(4) === 0 ? r(`s/${random(50)}`, `g${random(3)}`) : r(`$dev/${random(500)}/downlink/#`);
          n.local.add(route);
          n.subscriptions.push(route);
        } else {
          const [route] = n.subscriptions.splice(random(n.subscriptions.length), 1);
          n.local.remove(route!);
        }
      }
      if (round % 50 === 25) {
        for (const [, id] of String(await raw.client('LIST')).matchAll(
          /id=(\d+) [^\n]*name=devgate-routes-sub:/g,
        )) {
          if (random(2) === 0) await raw.client('KILL', 'ID', id!).catch(() => undefined);
        }
      }
      if (round === 100) {
        await redis.kill();
        await redis.start();
      }
      await sleep(random(3)); // let some batches go out between rounds, at varying points
    }
    for (const { node, local } of nodes) {
      for (const other of nodes)
        if (other.node !== node) await converged(other.node, node.id, local.snapshot());
      assert.deepEqual((await raw.smembers(`devgate:routes:${node.id}`)).sort(), keysOf(local.snapshot()));
    }
  },
);
