import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { IDisconnectPacket } from 'mqtt-packet';
import { MemoryClusterNet } from '../../helpers/memory-cluster.js';
import { connectClient, destroyClient, serverClose, uniqueId } from '../../helpers/mqtt-client.js';
import { freshDatabase, postgresTestOptions } from '../../helpers/postgres.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { payloads } from '../../helpers/sync.js';
import { quietPeriod } from '../../helpers/wait.js';

/**
 * The broker's cluster behaviour (decision 0029) with in-process nodes on one PostgreSQL database
 * (the engine stores they share) and an in-memory bus in place of Redis.
 */
async function cluster(
  t: TestContext,
  count: number,
): Promise<{ net: MemoryClusterNet; nodes: TestServer[] }> {
  const nodes: TestServer[] = [];
  // The nodes close (flushing their stores) before the database is dropped.
  const databaseUrl = await freshDatabase(t, async () => {
    for (const node of nodes) await node.close();
  });
  const net = new MemoryClusterNet();
  for (let i = 1; i <= count; i++) {
    nodes.push(await startServer(t, { databaseUrl, deps: { cluster: net.node(`n${i}`) } }));
  }
  return { net, nodes };
}

/** Connect options of a persistent session (v5: 5 minutes) with a fresh client id. */
function persistentSession(protocolVersion: 4 | 5 = 5) {
  const clientId = uniqueId('moving');
  return protocolVersion === 4
    ? { protocolVersion, clientId, clean: false }
    : { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 300 } };
}

const options = postgresTestOptions();

test(
  'decision 0029: a QoS 1 message published on one node reaches a subscriber on another, in order, none lost [MQTT-4.6.0-5]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    for (const protocolVersion of [4, 5] as const) {
      const sub = await connectClient(t, a.port, { protocolVersion });
      await sub.client.subscribeAsync('cross/+', { qos: 1 });
      const pub = await connectClient(t, b.port, { protocolVersion });
      const sent: string[] = [];
      for (let i = 0; i < 200; i++) {
        sent.push(String(i));
        await pub.client.publishAsync(`cross/${protocolVersion}`, String(i), { qos: 1 });
      }
      assert.deepEqual(payloads(await sub.inbox.take(200)), sent);
      await Promise.all([destroyClient(sub.client), destroyClient(pub.client)]);
    }
  },
);

test(
  'decision 0029: a v5 PUBACK counts subscribers on other nodes (no 0x10 No matching subscribers) [MQTT-3.4.2-1]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const sub = await connectClient(t, a.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('only/there', { qos: 1 });
    const pub = await connectClient(t, b.port, { protocolVersion: 5 });
    const codes: number[] = [];
    pub.client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') codes.push(packet.reasonCode ?? 0);
    });
    await pub.client.publishAsync('only/there', 'x', { qos: 1 });
    await pub.client.publishAsync('nobody/here', 'x', { qos: 1 });
    assert.deepEqual(codes, [0, 0x10]);
  },
);

test(
  'decision 0029: a $share group with a member on each of three nodes gets each QoS 1 message exactly once [MQTT-4.8.2-2]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 3);
    const members: Awaited<ReturnType<typeof connectClient>>[] = [];
    for (const node of nodes) {
      const member = await connectClient(t, node.port, { protocolVersion: 5 });
      await member.client.subscribeAsync('$share/g/jobs/#', { qos: 1 });
      members.push(member);
    }
    const pub = await connectClient(t, nodes[0]!.port, { protocolVersion: 5 });
    for (let i = 0; i < 300; i++) await pub.client.publishAsync('jobs/x', String(i), { qos: 1 });
    const deadline = Date.now() + 5000;
    const total = (): number => members.reduce((sum, m) => sum + m.inbox.all.length, 0);
    while (total() < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const received = members.flatMap((m) => payloads(m.inbox.all));
    assert.equal(received.length, 300, 'each message delivered once in the whole cluster');
    assert.equal(new Set(received).size, 300);
    for (const member of members) assert.ok(member.inbox.all.length > 0, 'every node took a share');
  },
);

test(
  'decision 0029: the same client id connecting on another node takes the session over: DISCONNECT 0x8E to the first [MQTT-3.1.4-3]',
  options,
  async (t) => {
    const { nodes, net } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const clientId = uniqueId('takeover');
    const first = await connectClient(t, a.port, { protocolVersion: 5, clientId });
    const closed = serverClose(first.client);
    await connectClient(t, b.port, { protocolVersion: 5, clientId });
    const { disconnect } = await closed;
    assert.equal((disconnect as IDisconnectPacket | undefined)?.reasonCode, 0x8e);
    assert.equal(net.ownerOf(clientId), 'n2');
    assert.equal(a.server.broker.sessionCount, 0);
    // What /metrics reads (devgate_cluster_takeovers_in_total / _out_total).
    assert.equal(b.server.cluster?.stats().takeoversIn, 1);
    assert.equal(a.server.cluster?.stats().takeoversOut, 1);
  },
);

test(
  'decision 0029: a persistent session resumed on another node keeps its subscriptions and queued QoS 1 messages [MQTT-3.1.2-5]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 3);
    const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
    const clientId = uniqueId('moving');
    const session = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const first = await connectClient(t, a.port, session);
    await first.client.subscribeAsync('queue/#', { qos: 1 });
    await first.client.endAsync();
    const pub = await connectClient(t, c.port, { protocolVersion: 5 });
    for (let i = 0; i < 20; i++) await pub.client.publishAsync('queue/x', String(i), { qos: 1 });
    const resumed = await connectClient(t, b.port, session);
    assert.equal(resumed.connack.sessionPresent, true);
    assert.deepEqual(
      payloads(await resumed.inbox.take(20)),
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    // The subscription came along: a new message reaches the client on its new node.
    await pub.client.publishAsync('queue/y', 'after', { qos: 1 });
    assert.equal((await resumed.inbox.next()).payload.toString(), 'after');
  },
);

/** Publishes `topic` with QoS 1 (ten in flight) until stopped; resolves with what was PUBACKed. */
function publishUntil(client: MqttClient, topic: string, prefix: string): { stop: () => Promise<string[]> } {
  const acked: string[] = [];
  let running = true;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const payload = `${prefix}${next++}`;
      await client.publishAsync(topic, payload, { qos: 1 });
      acked.push(payload);
    }
  };
  const loops = Promise.all(Array.from({ length: 10 }, loop));
  return {
    stop: async () => {
      running = false;
      await loops;
      return acked;
    },
  };
}

test(
  'decision 0029: a persistent subscriber taken over by another node while QoS 1 messages flow misses none that were PUBACKed, published on the old node or a third one [MQTT-4.3.2] [MQTT-3.1.4-3]',
  options,
  async (t) => {
    const { net, nodes } = await cluster(t, 3);
    const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
    const session = persistentSession();
    const first = await connectClient(t, a.port, session);
    await first.client.subscribeAsync('flow/#', { qos: 1 });
    const onA = await connectClient(t, a.port, { protocolVersion: 5 });
    const onC = await connectClient(t, c.port, { protocolVersion: 5 });
    const publishers = [publishUntil(onA.client, 'flow/a', 'a'), publishUntil(onC.client, 'flow/c', 'c')];
    await first.inbox.take(50);
    const resumed = await connectClient(t, b.port, session);
    assert.equal(resumed.connack.sessionPresent, true);
    await resumed.inbox.take(50); // still flowing, now through node b
    const acked = (await Promise.all(publishers.map((p) => p.stop()))).flat();
    const received = () =>
      new Set([...first.inbox.all, ...resumed.inbox.all].map((m) => m.payload.toString()));
    const deadline = Date.now() + 5000;
    while (acked.some((p) => !received().has(p)) && Date.now() < deadline) await quietPeriod(50);
    const missing = acked.filter((p) => !received().has(p));
    t.diagnostic(
      `acked ${acked.length}, missing ${missing.join(',')}, relayed ${net.sent.get('relay') ?? 0}`,
    );
    assert.deepEqual(missing, [], 'every PUBACKed message reached the subscriber on one of its nodes');
    assert.ok((net.sent.get('relay') ?? 0) > 0, 'the old node relayed what it matched during the move');
  },
);

/**
 * Three nodes; a persistent subscriber to `filters` on node a (n1) that then goes offline, and
 * a QoS 1 publisher on `topic` on node c (n3) numbering its messages (`pub.sent`, in order).
 */
async function movingSessionWorld(
  t: TestContext,
  filters: string | string[],
  topic: string,
  protocolVersion: 4 | 5 = 5,
) {
  const { net, nodes } = await cluster(t, 3);
  const [a, b, c] = nodes as [TestServer, TestServer, TestServer];
  const session = persistentSession(protocolVersion);
  const first = await connectClient(t, a.port, session);
  await first.client.subscribeAsync(filters, { qos: 1 });
  await first.client.endAsync();
  const pub = await numberedPublisher(t, c, topic);
  return { net, b, session, pub };
}

/** A QoS 1 publisher on `node` numbering its messages; `sent` lists them in order. */
async function numberedPublisher(t: TestContext, node: TestServer, topic: string) {
  const pub = await connectClient(t, node.port, { protocolVersion: 5 as const });
  const sent: string[] = [];
  return {
    sent,
    async publish(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        const payload = String(sent.length);
        sent.push(payload);
        await pub.client.publishAsync(topic, payload, { qos: 1 });
      }
    },
  };
}

for (const version of [4, 5] as const) {
  test(
    `decision 0029: a third node that sees the new owner late still reaches the moved session: the old node relays a while after it sees the new routes (v${version}) [MQTT-4.3.2]`,
    options,
    async (t) => {
      const { net, b, session, pub } = await movingSessionWorld(t, 'late/#', 'late/x', version);
      await pub.publish(5);
      // Node c keeps seeing the session's route on node a only, as a lagging replica would.
      const thaw = net.freezeRoutesSeenBy('n3');
      const resumed = await connectClient(t, b.port, session);
      assert.equal(resumed.connack.sessionPresent, true);
      // Node a sees node b's routes by now; what c sends to a alone must still be relayed.
      await pub.publish(20);
      thaw();
      assert.deepEqual(payloads(await resumed.inbox.take(pub.sent.length)), pub.sent);
      assert.ok((net.sent.get('relay') ?? 0) >= 20, 'node a relayed what c sent it alone');
    },
  );

  test(
    `decision 0029: a message that reaches a moved session twice (forwarded by its publisher, relayed by the old node) is taken once (v${version}) [MQTT-4.3.2]`,
    options,
    async (t) => {
      const { net, b, session, pub } = await movingSessionWorld(t, 'twice/#', 'twice/x', version);
      // Neither a nor c sees the session's routes on b: a relays, c sends to a alone.
      const thawA = net.freezeRoutesSeenBy('n1');
      const thawC = net.freezeRoutesSeenBy('n3');
      const resumed = await connectClient(t, b.port, session);
      assert.equal(resumed.connack.sessionPresent, true);
      await pub.publish(10);
      // Now c sends to b and to a, which still relays: b gets two copies of each.
      thawC();
      await pub.publish(10);
      thawA();
      await resumed.inbox.take(pub.sent.length);
      await quietPeriod(300);
      const got = payloads(resumed.inbox.all);
      assert.deepEqual([...got].sort(), [...pub.sent].sort(), 'each message exactly once');
      assert.ok(
        b.server.broker.metrics.droppedDuplicateCopies >= 10,
        `second copies recognised: ${b.server.broker.metrics.droppedDuplicateCopies}`,
      );
    },
  );
}

test(
  'decision 0029: a session that just moved still takes a message once per subscription kind: its share group pick and its own subscription [MQTT-4.8.2]',
  options,
  async (t) => {
    const { b, session, pub } = await movingSessionWorld(t, ['both/#', '$share/g/both/#'], 'both/x');
    const resumed = await connectClient(t, b.port, session);
    assert.equal(resumed.connack.sessionPresent, true);
    await pub.publish(10);
    const got = payloads(await resumed.inbox.take(20));
    assert.deepEqual(
      [...got].sort(),
      pub.sent.flatMap((p) => [p, p]).sort(),
      'two copies of each: the group pick and the subscription',
    );
    await quietPeriod(200);
    assert.equal(resumed.inbox.all.length, 20);
  },
);

test(
  'decision 0029: simultaneous connects of one client id on two nodes leave exactly one live connection [MQTT-3.1.4-3]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    // One client id for every round: each round starts from what the last one left (released rows).
    const clientId = uniqueId('race');
    for (let round = 0; round < 100; round++) {
      const both = await Promise.all([
        connectClient(t, a.port, { protocolVersion: 5, clientId }),
        connectClient(t, b.port, { protocolVersion: 5, clientId }),
      ]);
      const deadline = Date.now() + 3000;
      const live = (): number => both.filter((c) => c.client.connected).length;
      while (live() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(live(), 1, `round ${round}: one live connection`);
      const connected = a.server.broker.isConnected(clientId) ? 1 : 0;
      assert.equal(connected + (b.server.broker.isConnected(clientId) ? 1 : 0), 1);
      await Promise.all(both.map((c) => destroyClient(c.client)));
    }
  },
);

test(
  'decision 0029: a retained message set on one node is sent to a new subscriber on another [MQTT-3.3.1-6]',
  options,
  async (t) => {
    const { nodes } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const pub = await connectClient(t, a.port, { protocolVersion: 5 });
    await pub.client.publishAsync('state/lamp', 'on', { qos: 1, retain: true });
    const deadline = Date.now() + 3000;
    while (b.server.broker.retained.size === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const sub = await connectClient(t, b.port, { protocolVersion: 5 });
    await sub.client.subscribeAsync('state/#', { qos: 1 });
    const message = await sub.inbox.next();
    assert.equal(message.payload.toString(), 'on');
    assert.equal(message.packet.retain, true);
    // Cleared on one node, gone on the other [MQTT-3.3.1-10].
    await pub.client.publishAsync('state/lamp', '', { qos: 1, retain: true });
    while (b.server.broker.retained.size !== 0 && Date.now() < deadline + 3000)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.server.broker.retained.size, 0);
  },
);

test(
  'spec §3.3 ping across nodes: the node holding the session hands over the QoS 1 message and times the PUBACK',
  options,
  async (t) => {
    const { net, nodes } = await cluster(t, 2);
    const [a, b] = nodes as [TestServer, TestServer];
    const ping = (topic: string) => ({
      topic,
      payload: Buffer.alloc(0),
      qos: 1 as const,
      retain: false,
      properties: {},
      createdAt: Date.now(),
    });
    const answering = await connectClient(t, a.port, { protocolVersion: 5, clientId: uniqueId('pinged') });
    const key = answering.client.options.clientId as string;
    const rtt = await b.server.broker.pingElsewhere(key, ping('ping/1'));
    assert.ok(typeof rtt === 'number' && rtt >= 0, String(rtt));
    assert.deepEqual(payloads(await answering.inbox.take(1)), ['']);
    // Nobody holds the key: not asked at all.
    const before = net.sent.get('ping');
    assert.equal(await b.server.broker.pingElsewhere('nobody', ping('ping/2')), undefined);
    assert.equal(net.sent.get('ping'), before);
    // Held, but its PUBACK never comes: unanswered once the holder's wait is over.
    const silent = await connectClient(t, a.port, {
      protocolVersion: 5,
      clientId: uniqueId('silent'),
      customHandleAcks: () => undefined,
    });
    const silentKey = silent.client.options.clientId as string;
    assert.equal(await b.server.broker.pingElsewhere(silentKey, ping('ping/3')), undefined);
    assert.equal(net.sent.get('pong'), 2);
  },
);
