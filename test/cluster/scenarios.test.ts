import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { connect, type MqttClient } from 'mqtt';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { type Cluster, type ClusterOptions, clusterTestOptions, startCluster } from '../helpers/cluster.js';
import type { ApiDevice, ClusterApi } from '../helpers/cluster-api.js';
import {
  baseOptions,
  type Connected,
  connectClient,
  destroyClient,
  type Received,
  serverClose,
  subscribeCodes,
} from '../helpers/mqtt-client.js';
import { payloads } from '../helpers/sync.js';
import { quietPeriod, WAIT_MS, within } from '../helpers/wait.js';
import { publishCode, subscribeCode } from '../integration/gateway-api/gateway-mqtt.js';

/**
 * The cluster's behaviour across nodes (decision 0029: routing through Redis, session takeover
 * across nodes, downlinks to a gateway on another node). Each scenario runs twice:
 * - across three nodes, each role on another node;
 * - on one node behind the same balancer, as a control, so a scenario that fails across nodes
 *   fails for the cluster's sake, not its own.
 */

/** Each test's own bound (`npm run test:cluster` gives the whole file longer). */
const TEST_MS = 120_000;
const ROUTING = { timeout: TEST_MS };
const TAKEOVER = { timeout: TEST_MS };
/** 1,000 rounds, or 1,000 devices made through the API, take over a minute here. */
const RACES = { timeout: 300_000 };

/** Rounds of simultaneous CONNECTs on two nodes (the figure). */
const ROUNDS = 1000;
/** Devices one gateway speaks for (the figure). */
const GATEWAY_DEVICES = 1000;

/** Devices the scope scenario's gateway speaks for (a handful: the scenario above has the size). */
const SCOPED_DEVICES = 4;
/** How long a change made through one node may take to reach another (LISTEN/NOTIFY, decision 0028). */
const PROPAGATION_MS = 5000;

/** Messages per scenario; QoS 1 must lose none. */
const COUNT = 300;
/** Bound for a whole batch to cross nodes. */
const BATCH_MS = 15_000;

/** Where a scenario puts its clients: node indexes (all 0 on the one-node control). */
interface Placement {
  readonly nodes: number;
  /** Node index of the i-th role of the scenario. */
  at(role: number): number;
}
const ACROSS: Placement = { nodes: 3, at: (role) => role % 3 };
const ONE_NODE: Placement = { nodes: 1, at: () => 0 };

function port(cluster: Cluster, index: number): number {
  const found = cluster.nodes[index];
  assert.ok(found !== undefined, `node ${index + 1}`);
  return found.mqttPort;
}

function start(t: TestContext, placement: Placement, options: ClusterOptions = {}): Promise<Cluster> {
  return startCluster(t, { ...options, nodes: placement.nodes });
}

/** Anonymous MQTT 5 client of a `devgate broker` cluster, straight to node `index`. */
function brokerClient(t: TestContext, cluster: Cluster, index: number): Promise<Connected> {
  return connectClient(t, port(cluster, index), { protocolVersion: 5 });
}

/**
 * Publishes probes on `topic` until `received` says one arrived: the subscription has reached the
 * publisher's node (routes travel between nodes asynchronously).
 */
async function untilRouted(publisher: MqttClient, topic: string, received: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!received()) {
    if (Date.now() > deadline) throw new Error(`no probe on ${topic} arrived within ${WAIT_MS} ms`);
    await publisher.publishAsync(topic, 'probe', { qos: 0 });
    await quietPeriod(50);
  }
}

/** Waits (bounded) until `count()` reaches `target`. */
async function untilCount(count: () => number, target: number, ms = BATCH_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (count() < target && Date.now() < deadline) await quietPeriod(50);
}

async function orderedPubSub(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement, { command: 'broker' });
  const subscribers = [
    await brokerClient(t, cluster, placement.at(0)),
    await brokerClient(t, cluster, placement.at(2)),
  ];
  for (const s of subscribers) await s.client.subscribeAsync('order/#', { qos: 1 });
  const publisher = await brokerClient(t, cluster, placement.at(1));
  for (const s of subscribers) {
    await untilRouted(publisher.client, 'order/probe', () =>
      s.inbox.all.some((m) => m.topic === 'order/probe'),
    );
  }
  const sent = Array.from({ length: COUNT }, (_, i) => String(i));
  await Promise.all(sent.map((payload) => publisher.client.publishAsync('order/seq', payload, { qos: 1 })));
  for (const s of subscribers) {
    const seq = () => s.inbox.all.filter((m) => m.topic === 'order/seq');
    await untilCount(() => seq().length, COUNT);
    assert.deepEqual(payloads(seq()), sent);
  }
}

/** Publishes COUNT QoS 1 messages `prefix0…` and checks the group got each exactly once in total. */
async function exactlyOnce(
  publisher: MqttClient,
  members: readonly Connected[],
  prefix: string,
): Promise<void> {
  const got = () =>
    payloads(members.flatMap((m) => m.inbox.all.filter((r) => r.topic === 'shared/t'))).filter((p) =>
      p.startsWith(prefix),
    );
  const sent = Array.from({ length: COUNT }, (_, i) => `${prefix}${i}`);
  await Promise.all(sent.map((payload) => publisher.publishAsync('shared/t', payload, { qos: 1 })));
  await untilCount(() => got().length, COUNT);
  await quietPeriod(300); // duplicates would arrive now
  assert.equal(got().length, COUNT, `${prefix}: exactly once in total`);
  assert.deepEqual([...new Set(got())].sort(), [...sent].sort());
}

/**
 * One member per node, the publisher on the first member's node. That member alone would satisfy
 * "exactly once" without any routing, so the group is then left to the two members on the other
 * nodes and must still get every message exactly once.
 */
async function sharedGroup(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement, { command: 'broker' });
  const members = await Promise.all([0, 1, 2].map((role) => brokerClient(t, cluster, placement.at(role))));
  for (const m of members) await m.client.subscribeAsync('$share/g/shared/t', { qos: 1 });
  const publisher = await brokerClient(t, cluster, placement.at(0));
  await exactlyOnce(publisher.client, members, 'all-');
  await members[0]!.client.unsubscribeAsync('$share/g/shared/t');
  const remote = members.slice(1);
  const reached = () => remote.some((m) => m.inbox.all.some((r) => r.payload.toString() === 'probe'));
  await untilRouted(publisher.client, 'shared/t', reached);
  await exactlyOnce(publisher.client, remote, 'remote-');
}

async function takeover(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement);
  const api = await cluster.api();
  const device = await api.createDevice((await api.createTemplate('Takeover')).id, 'Taken over');
  for (const protocolVersion of [5, 4] as const) {
    const login = { protocolVersion, username: 'device', password: device.token };
    const first = await connectClient(t, port(cluster, placement.at(0)), login);
    const closed = serverClose(first.client, 2 * WAIT_MS);
    const second = await connectClient(t, port(cluster, placement.at(1)), login);
    const close = await closed;
    if (protocolVersion === 5) assert.equal(close.disconnect?.reasonCode, 0x8e); // [MQTT-3.1.4-3]
    assert.equal(second.client.connected, true);
    await second.client.endAsync();
  }
}

/**
 * A persistent session with a delayed will, subscribed on one node, drops off without DISCONNECT;
 * QoS 1 messages published on another node queue for it; it resumes on a third node within the
 * will delay: its queue comes along in order and its will is never published [MQTT-3.1.3-9].
 */
async function resumedWithQueue(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement, { command: 'broker' });
  const session = (extra = {}) => ({
    protocolVersion: 5 as const,
    clientId: 'resumed-with-queue',
    clean: false,
    properties: { sessionExpiryInterval: 300 },
    ...extra,
  });
  const will = { topic: 'wills/resumed', payload: Buffer.from('gone'), qos: 1 as const, retain: false };
  const observer = await brokerClient(t, cluster, placement.at(1));
  await observer.client.subscribeAsync('wills/#', { qos: 1 });
  const first = await connectClient(
    t,
    port(cluster, placement.at(0)),
    session({ will: { ...will, properties: { willDelayInterval: 30 } } }),
  );
  await first.client.subscribeAsync('queued/#', { qos: 1 });
  const publisher = await brokerClient(t, cluster, placement.at(1));
  await untilRouted(publisher.client, 'queued/probe', () =>
    first.inbox.all.some((m) => m.topic === 'queued/probe'),
  );
  const closed = serverClose(first.client, WAIT_MS);
  first.client.stream.destroy(); // gone without DISCONNECT: the will waits for its delay
  await closed;
  const sent = Array.from({ length: COUNT }, (_, i) => String(i));
  for (const payload of sent) await publisher.client.publishAsync('queued/seq', payload, { qos: 1 });
  const resumed = await connectClient(t, port(cluster, placement.at(2)), session());
  assert.equal(resumed.connack.sessionPresent, true, '[MQTT-3.2.2-2] the session came along');
  const seq = () => resumed.inbox.all.filter((m) => m.topic === 'queued/seq');
  await untilCount(() => seq().length, COUNT);
  assert.deepEqual(payloads(seq()), sent, '[MQTT-4.6.0-5] the queue, complete and in order');
  // Long enough for a will published by either node to cross to the observer.
  await observer.inbox.expectNone(2000);
}

/** One round: two CONNECTs of one device at once; resolves with how many stay open. */ /** One round: two CONNECTs of one device at once; resolves with how many stay open. */
async function racedRound(ports: readonly number[], token: string, round: number): Promise<number> {
  const clients = ports.map((p) =>
    connect(baseOptions(p, { protocolVersion: 5, username: 'device', password: token, clientId: 'raced' })),
  );
  const open = new Set<MqttClient>();
  const settled = clients.map(
    (client) =>
      new Promise<void>((resolve) => {
        client.on('error', () => undefined);
        client.once('connect', () => {
          open.add(client);
          resolve();
        });
        client.on('close', () => {
          open.delete(client);
          resolve();
        });
      }),
  );
  try {
    await within(Promise.all(settled), WAIT_MS, `round ${round}: both CONNECTs answered`);
    const deadline = Date.now() + WAIT_MS;
    while (open.size > 1 && Date.now() < deadline) await quietPeriod(20);
    await quietPeriod(50); // a late takeover would close the survivor now
    return open.size;
  } finally {
    await Promise.all(clients.map(destroyClient));
  }
}

async function racedConnects(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement);
  const api = await cluster.api();
  const device = await api.createDevice((await api.createTemplate('Race')).id, 'Raced');
  const ports = [port(cluster, placement.at(0)), port(cluster, placement.at(1))];
  for (let round = 0; round < ROUNDS; round += 1) {
    assert.equal(await racedRound(ports, device.token, round), 1, `round ${round}: live connections`);
  }
}

async function gatewayDownlinks(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement);
  const api = await cluster.api();
  const admin = await cluster.admin();
  const template = await api.createTemplate('Fleet', true);
  const power = template.datastreams.find((d) => d.name === 'Power')!;
  const devices = [];
  for (let i = 0; i < GATEWAY_DEVICES; i += 1)
    devices.push(await api.createDevice(template.id, `Fleet ${i}`));
  const gateway = await connectClient(t, port(cluster, placement.at(0)), {
    protocolVersion: 5,
    username: admin.clientId,
    password: admin.clientSecret,
  });
  await gateway.client.subscribeAsync(
    devices.map((d) => `dev/${d.token}/downlink/#`),
    { qos: 1 },
  );
  const writer = api.at(cluster.nodes[placement.at(1)]!.httpUrl);
  for (const [i, d] of devices.entries()) await writer.writeValue(d.id, power.id, i);
  const received = await gateway.inbox.take(devices.length, BATCH_MS);
  const expected = devices.map((d, i) => `dev/${d.token}/downlink/ds/Power=${i}`);
  assert.deepEqual(received.map((m) => `${m.topic}=${m.payload.toString()}`).sort(), expected.sort());
}

/** `topic=payload` of each message, to compare with what was written. */
function written(messages: readonly Received[]): string[] {
  return messages.map((m) => `${m.topic}=${m.payload.toString()}`);
}

/**
 * Publishes for a target until the v5 PUBACK code is `code`: the gateway's node has followed a
 * change made on another node (it can only be observed by asking that node).
 */
async function untilPublishCode(gateway: MqttClient, token: string, code: ReasonCode): Promise<void> {
  const deadline = Date.now() + PROPAGATION_MS;
  let last = await publishCode(gateway, `dev/${token}/ds/Power`, '1');
  while (last !== code) {
    if (Date.now() > deadline)
      throw new Error(`PUBACK still 0x${last.toString(16)}, not 0x${code.toString(16)}`);
    await quietPeriod(25);
    last = await publishCode(gateway, `dev/${token}/ds/Power`, '1');
  }
}

/** Consumes the gateway's messages up to `wanted` (as `topic=payload`); those before it. */
async function takeUntil(gateway: Connected, wanted: string): Promise<string[]> {
  const before: string[] = [];
  for (;;) {
    const [got] = written([await gateway.inbox.next(BATCH_MS)]);
    if (got === wanted) return before;
    before.push(got!);
  }
}

/**
 * Writes a value for `moved`, then one for `stayed`, through the same node, again while the copy
 * for `moved` still arrives (for up to `patienceMs`: until the gateway's node has followed the
 * move), until only the copy for `stayed` does. Both cross from the same node in order, so a copy
 * for `moved` comes first if at all; none may come late either.
 */
async function onlyStayedDelivered(
  gateway: Connected,
  writer: ClusterApi,
  power: number,
  [moved, stayed]: readonly [ApiDevice, ApiDevice],
  from: number,
  patienceMs: number,
): Promise<void> {
  const deadline = Date.now() + patienceMs;
  for (let value = from; ; value += 2) {
    await writer.writeValue(moved.id, power, value);
    await writer.writeValue(stayed.id, power, value + 1);
    const before = await takeUntil(gateway, `dev/${stayed.token}/downlink/ds/Power=${value + 1}`);
    if (before.length === 0) break;
    assert.deepEqual(before, [`dev/${moved.token}/downlink/ds/Power=${value}`]);
    if (Date.now() > deadline)
      throw new Error(`writes for the moved device still delivered after ${patienceMs} ms`);
  }
  await gateway.inbox.expectNone(500);
}

/**
 * An OAuth client of a sub-organization speaks for its devices on the first node; one device is
 * moved to a sibling organization through the third node while values are written through the second.
 */
async function gatewayScope(t: TestContext, placement: Placement): Promise<void> {
  const cluster = await start(t, placement);
  const api = await cluster.api();
  const scope = await api.createOrganization('Gateway scope');
  const elsewhere = await api.createOrganization('Elsewhere');
  const template = await api.createTemplate('Scoped fleet');
  const power = template.datastreams.find((d) => d.name === 'Power')!.id;
  const devices: ApiDevice[] = [];
  for (let i = 0; i < SCOPED_DEVICES; i += 1)
    devices.push(await api.createDevice(template.id, `Scoped ${i}`, scope));
  const [moved, stayed] = devices as [ApiDevice, ApiDevice];
  const credentials = await api.createOAuthClient('Scoped gateway', scope);
  const login = { username: credentials.clientId, password: credentials.secret };
  const gateway = await connectClient(t, port(cluster, placement.at(0)), { protocolVersion: 5, ...login });
  const filters = devices.map((d) => `dev/${d.token}/downlink/#`);
  assert.deepEqual(
    await subscribeCodes(gateway.client, filters, { qos: 1 }),
    filters.map(() => 1),
  );
  const writer = api.at(cluster.nodes[placement.at(1)]!.httpUrl);
  const mover = api.at(cluster.nodes[placement.at(2)]!.httpUrl);

  for (const [i, d] of devices.entries()) await writer.writeValue(d.id, power, i);
  const before = devices.map((d, i) => `dev/${d.token}/downlink/ds/Power=${i}`);
  assert.deepEqual(written(await gateway.inbox.take(devices.length, BATCH_MS)).sort(), before.sort());

  // Writes, not the gateway's publishes, wait for the move: a publish for the device while the
  // gateway's node still has it in scope would refresh that node's copy itself.
  assert.equal((await mover.transferDevice(moved.id, elsewhere)).orgId, elsewhere);
  await onlyStayedDelivered(gateway, writer, power, [moved, stayed], 100, PROPAGATION_MS);

  // The same answers as for a token that does not exist (v5 0x87; 3.1.1 SUBACK 0x80, publish dropped).
  const unknown = randomBytes(24).toString('base64url');
  const legacy = await connectClient(t, port(cluster, placement.at(0)), { protocolVersion: 4, ...login });
  for (const token of [moved.token, unknown]) {
    const what = token === unknown ? 'unknown token' : 'moved device';
    assert.equal(await publishCode(gateway.client, `dev/${token}/ds/Power`, '2'), 0x87, what);
    assert.equal(await subscribeCode(gateway.client, `dev/${token}/downlink/#`), 0x87, what);
    assert.equal(await publishCode(legacy.client, `dev/${token}/ds/Power`, '2'), 0, what);
    assert.equal(await subscribeCode(legacy.client, `dev/${token}/downlink/#`), 0x80, what);
  }
  await gateway.inbox.expectNone(300); // no diag tells the two apart either
  assert.deepEqual(legacy.inbox.all, []);

  // The move dropped the gateway's subscription: back in scope, the device needs a new one.
  await mover.transferDevice(moved.id, scope);
  await untilPublishCode(gateway.client, moved.token, ReasonCode.Success); // refused ones change nothing
  await onlyStayedDelivered(gateway, writer, power, [moved, stayed], 500, 0);
  assert.equal(await subscribeCode(gateway.client, `dev/${moved.token}/downlink/#`), 1);
  await writer.writeValue(moved.id, power, 300);
  assert.deepEqual(written(await gateway.inbox.take(1, BATCH_MS)), [
    `dev/${moved.token}/downlink/ds/Power=300`,
  ]);
}

const SCENARIOS = [
  {
    name: '[MQTT-4.6.0-5] QoS 1 messages of one publisher reach two subscribers all and in order',
    run: orderedPubSub,
    options: ROUTING,
  },
  {
    name: '[MQTT-4.8.2] a $share/g/t group of three members gets each of 300 QoS 1 messages exactly once in total, and so do its two members away from the publisher',
    run: sharedGroup,
    options: ROUTING,
  },
  {
    name: 'spec §2.1 one live connection per device token: a second login takes over the first (v5 DISCONNECT 0x8E, 3.1.1 closed)',
    run: takeover,
    options: TAKEOVER,
  },
  {
    name: '[MQTT-3.1.2-5] [MQTT-3.1.3-9] a persistent session cut off on one node and resumed on another within its will delay keeps its queue of QoS 1 messages in order, and its will is not published',
    run: resumedWithQueue,
    options: TAKEOVER,
  },
  {
    name: '[MQTT-3.1.4-3] 1,000 rounds of two simultaneous CONNECTs of one client id leave exactly one live connection each round',
    run: racedConnects,
    options: RACES,
  },
  {
    name: 'gateway API: a gateway subscribed to dev/{token}/downlink/# for 1,000 devices gets datastream writes made through the HTTP API as dev/{token}/downlink/ds/Power',
    run: gatewayDownlinks,
    options: RACES,
  },
  {
    name: 'spec §4.2, §9 "Gateway scope": a device moved out of the gateway\'s organization stops being delivered to it, refused like an unknown token (v5 0x87, 3.1.1 SUBACK 0x80), its subscription dropped; a device that stayed still is delivered',
    run: gatewayScope,
    options: ROUTING,
  },
];

describe('cluster scenarios across three nodes (each role on another node)', clusterTestOptions(), () => {
  for (const scenario of SCENARIOS) test(scenario.name, scenario.options, (t) => scenario.run(t, ACROSS));
});

describe(
  'cluster scenarios on one node behind the balancer (the control: the same scenario without the cluster)',
  clusterTestOptions(),
  () => {
    for (const scenario of SCENARIOS) test(scenario.name, scenario.options, (t) => scenario.run(t, ONE_NODE));
  },
);
