import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { type ClusterNode, clusterTestOptions, FAST_MEMBERSHIP, startCluster } from '../helpers/cluster.js';
import { type Connected, connectClient, serverClose } from '../helpers/mqtt-client.js';
import { quietPeriod } from '../helpers/wait.js';

/**
 * Redis or PostgreSQL goes away under a running cluster: a Redis restart (empty, no persistence),
 * one node cut off from Redis, one node cut off from PostgreSQL (it fences itself). The cuts go
 * through a TCP relay between that node and the server (the test PostgreSQL is shared by every test).
 */

const TEST_MS = 180_000;
const RECOVERY_MS = 40_000;

async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  ms = RECOVERY_MS,
): Promise<number> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await quietPeriod(100);
  }
  return Date.now() - started;
}

/** Probes `topic` QoS 0 until `reached`: routes between the nodes work. */
async function untilRouted(publisher: MqttClient, topic: string, reached: () => boolean): Promise<number> {
  return until(`a probe on ${topic}`, async () => {
    if (reached()) return true;
    await publisher.publishAsync(topic, 'probe', { qos: 0 }).catch(() => undefined);
    return false;
  });
}

function payloadsOf(sub: Connected, topic: string): string[] {
  return sub.inbox.all.filter((m) => m.topic === topic).map((m) => m.payload.toString());
}

async function readyz(node: ClusterNode): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(`${node.httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

/** A persistent v5 QoS 1 subscriber on `node`, and a publisher on `other` whose probes reach it. */
async function pubSub(t: TestContext, node: ClusterNode, other: ClusterNode, topic: string) {
  const sub = await connectClient(t, node.mqttPort, {
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
  });
  await sub.client.subscribeAsync(`${topic}/#`, { qos: 1 });
  const pub = await connectClient(t, other.mqttPort, { protocolVersion: 5 });
  await untilRouted(pub.client, `${topic}/probe`, () => payloadsOf(sub, `${topic}/probe`).length > 0);
  return { sub, pub };
}

async function redisRestart(t: TestContext): Promise<void> {
  const cluster = await startCluster(t, {
    nodes: 2,
    command: 'broker',
    haproxy: false,
    env: FAST_MEMBERSHIP,
  });
  const [a, b] = cluster.nodes;
  const { sub, pub } = await pubSub(t, a!, b!, 'r');
  await cluster.redis!.kill();
  // PUBACK waits for the append to the subscriber node's stream: during the outage it is late.
  const during = ['d0', 'd1', 'd2'].map((p) => pub.client.publishAsync('r/seq', p, { qos: 1 }).then(() => p));
  await quietPeriod(2000);
  await cluster.redis!.start();
  const routedAfter = await untilRouted(pub.client, 'r/probe2', () => payloadsOf(sub, 'r/probe2').length > 0);
  const acked = await Promise.all(during);
  for (const p of ['a0', 'a1', 'a2']) await pub.client.publishAsync('r/seq', p, { qos: 1 });
  await until('the messages after the restart', () =>
    ['a0', 'a1', 'a2'].every((p) => payloadsOf(sub, 'r/seq').includes(p)),
  );
  await quietPeriod(500);
  const lost = acked.filter((p) => !payloadsOf(sub, 'r/seq').includes(p));
  t.diagnostic(
    `routed again ${routedAfter} ms after Redis started; PUBACKed during the outage ${acked.length}, lost ${lost.length}`,
  );
  assert.deepEqual(lost, [], 'nothing PUBACKed during the outage is lost');
}

async function nodeCutFromRedis(t: TestContext): Promise<void> {
  const cluster = await startCluster(t, {
    nodes: 2,
    command: 'broker',
    haproxy: false,
    env: FAST_MEMBERSHIP,
    relayed: { redis: [0] },
  });
  const [a, b] = cluster.nodes;
  const { sub, pub } = await pubSub(t, a!, b!, 'cut');
  const relay = cluster.relays[0]!.redis!;
  relay.down();
  const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
  for (const p of sent) await pub.client.publishAsync('cut/seq', p, { qos: 1 });
  await quietPeriod(20_000); // the cut lasts 20 s
  relay.up();
  const after = await until('the messages of the cut', () =>
    sent.every((p) => payloadsOf(sub, 'cut/seq').includes(p)),
  );
  t.diagnostic(`messages published during the 20 s cut arrived ${after} ms after it ended`);
  assert.equal(sub.client.connected, true, 'the subscriber stayed connected');
}

async function nodeCutFromPostgres(t: TestContext): Promise<void> {
  const cluster = await startCluster(t, {
    nodes: 2,
    command: 'broker',
    haproxy: false,
    env: FAST_MEMBERSHIP,
    relayed: { database: [1] },
  });
  const cut = cluster.nodes[1]!;
  const client = await connectClient(t, cut.mqttPort, { protocolVersion: 5 });
  const closed = serverClose(client.client, RECOVERY_MS);
  const relay = cluster.relays[1]!.database!;
  const cutAt = Date.now();
  relay.down();
  await closed;
  const fencedAfter = Date.now() - cutAt;
  let answer = await readyz(cut);
  await until('/readyz 503', async () => {
    answer = await readyz(cut);
    return answer.status === 503;
  });
  assert.match(answer.body, /cluster/, `/readyz names the cluster check: ${answer.body}`);
  assert.match(answer.body, /fenced/, `/readyz says why: ${answer.body}`);
  relay.up();
  const backAfter = await until('/readyz 200 again', async () => (await readyz(cut)).status === 200);
  const again = await connectClient(t, cut.mqttPort, { protocolVersion: 5 });
  assert.equal(again.client.connected, true);
  t.diagnostic(`clients closed ${fencedAfter} ms after the cut; ready again ${backAfter} ms after it ended`);
}

describe('Redis or PostgreSQL goes away', clusterTestOptions(), () => {
  test(
    'Redis restart (empty): cross-node QoS 1 pub/sub works again without restarting nodes, and QoS 1 messages PUBACKed during the outage are delivered',
    { timeout: TEST_MS },
    (t) => redisRestart(t),
  );
  test(
    'a node cut off from Redis for 20 s gets the QoS 1 messages published elsewhere for its subscribers during the cut once it reconnects',
    { timeout: TEST_MS },
    (t) => nodeCutFromRedis(t),
  );
  test(
    'a node cut off from PostgreSQL fences itself (closes its clients, /readyz 503 with a cluster check saying why) and comes back when PostgreSQL answers again',
    { timeout: TEST_MS },
    (t) => nodeCutFromPostgres(t),
  );
});
