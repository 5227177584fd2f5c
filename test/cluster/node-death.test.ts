import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { type Cluster, clusterTestOptions, FAST_MEMBERSHIP, startCluster } from '../helpers/cluster.js';
import type { ClusterApi } from '../helpers/cluster-api.js';
import { jsonRecords } from '../helpers/log-lines.js';
import { baseOptions, type Connected, connectClient, destroyClient } from '../helpers/mqtt-client.js';
import { quietPeriod } from '../helpers/wait.js';

/**
 * A node dies (SIGKILL, no goodbye): a survivor adopts its sessions from the shared store and
 * what was left in its inbox, the clients come back through another node, and nothing a publisher
 * got a PUBACK for is lost. Membership timings are shortened through the hidden knobs so the death
 * is noticed within about two seconds.
 */

const TEST_MS = 180_000;
/** Bound for the survivors to notice the death, adopt, and the clients to come back. */
const RECOVERY_MS = 30_000;

const SUBSCRIBERS = 3;
/** QoS 1 publications kept in flight by the publisher. */
const WINDOW = 10;

/** A QoS 1 publisher that keeps publishing `prefix<n>` and records what was PUBACKed. */
class LoadPublisher {
  readonly acked = new Set<string>();
  #next = 0;
  #running = true;
  readonly #done: Promise<void>;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
  ) {
    this.#done = Promise.all(Array.from({ length: WINDOW }, () => this.#loop())).then(() => undefined);
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const payload = String(this.#next++);
      try {
        await this.client.publishAsync(this.topic, payload, { qos: 1 });
        this.acked.add(payload);
      } catch {
        return; // the publisher's own connection went: what was acked stands
      }
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

/** A persistent v5 subscriber whose messages are kept over all its connections. */
interface Subscriber {
  readonly clientId: string;
  readonly received: string[];
  client: MqttClient;
}

function persistentOptions(clientId: string, extra: IClientOptions = {}): IClientOptions {
  return {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
    ...extra,
  };
}

async function subscriber(
  t: TestContext,
  port: number,
  clientId: string,
  topic: string,
): Promise<Subscriber> {
  const connected = await connectClient(t, port, persistentOptions(clientId));
  await connected.client.subscribeAsync(topic, { qos: 1 });
  const sub: Subscriber = { clientId, received: [], client: connected.client };
  collect(sub, connected.client);
  return sub;
}

function collect(sub: Subscriber, client: MqttClient): void {
  client.on('message', (_topic, payload) => sub.received.push(payload.toString()));
}

/**
 * Connects `clientId` to `port` again and again until a CONNACK with the session present: the
 * cluster has adopted (or handed over) the dead node's session. Resolves with the client.
 */
async function resume(
  t: TestContext,
  port: number,
  clientId: string,
  onMessage?: (client: MqttClient) => void,
) {
  const deadline = Date.now() + RECOVERY_MS;
  let last = 'no attempt';
  for (;;) {
    const client = connect(baseOptions(port, persistentOptions(clientId)));
    onMessage?.(client);
    const outcome = await new Promise<string>((resolve) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent ? 'present' : 'not present'));
      client.once('close', () => resolve('closed'));
      client.on('error', () => undefined);
    });
    if (outcome === 'present') {
      t.after(() => destroyClient(client));
      return client;
    }
    last = outcome;
    await destroyClient(client);
    if (Date.now() > deadline) throw new Error(`${clientId}: not resumed in ${RECOVERY_MS} ms (${last})`);
    await quietPeriod(100); // the cluster has not decided yet: try again
  }
}

/** Probes `topic` until every inbox has one: the routes have reached the publisher's node. */
async function untilRouted(publisher: MqttClient, topic: string, reached: () => boolean): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  while (!reached()) {
    if (Date.now() > deadline) throw new Error(`no probe on ${topic} arrived`);
    await publisher.publishAsync(topic, 'probe', { qos: 0 });
    await quietPeriod(50);
  }
}

async function untilAll(subs: readonly Subscriber[], expected: ReadonlySet<string>): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  const missing = () => subs.some((s) => [...expected].some((p) => !s.received.includes(p)));
  while (missing() && Date.now() < deadline) await quietPeriod(100);
}

/** The JSON lines of a node's output (its start-up summary is plain text). */
function jsonLines(output: string): string {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .join('\n');
}

/** The time (epoch ms) of the first log line of `cluster`'s nodes with `msg`, if any. */
function loggedAt(cluster: Cluster, msg: string): number | undefined {
  const times = cluster.nodes
    .flatMap((node) => jsonRecords(jsonLines(node.logs())))
    .filter((record) => record.msg === msg)
    .map((record) => Number(record.time));
  return times.length === 0 ? undefined : Math.min(...times);
}

async function willClient(t: TestContext, port: number, clientId: string, delay: number): Promise<Connected> {
  return connectClient(
    t,
    port,
    persistentOptions(clientId, {
      will: {
        topic: `wills/${clientId}`,
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: delay },
      },
    }),
  );
}

async function killUnderLoad(t: TestContext): Promise<void> {
  // The backlog of a few seconds offline must fit the session queue: a full queue drops by design.
  const cluster = await startCluster(t, {
    nodes: 3,
    command: 'broker',
    haproxy: false,
    env: FAST_MEMBERSHIP,
    nodeArgs: ['--max-queued-messages', '100000'],
  });
  const [first, doomed, third] = cluster.nodes;
  const subs: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIBERS; i += 1)
    subs.push(await subscriber(t, doomed!.mqttPort, `sub-${i}`, 'load/#'));
  const publisher = await connectClient(t, first!.mqttPort, { protocolVersion: 5 });
  // A subscriber of the adopter's own: it gets its copies directly, none from the dead node's inbox.
  const own = await subscriber(t, first!.mqttPort, 'own-sub', 'load/#');
  for (const s of [...subs, own])
    await untilRouted(publisher.client, 'load/probe', () => s.received.includes('probe'));

  const load = new LoadPublisher(publisher.client, 'load/seq');
  await quietPeriod(1000); // load flowing before the kill
  const killedAt = Date.now();
  await doomed!.kill9();
  // The adopter is node-1 (the first live node by name). The last subscriber comes back through
  // node-3 instead: its session then moves once more, in an ordinary takeover from the adopter.
  const backThrough = (i: number) => (i === SUBSCRIBERS - 1 ? third! : first!);
  const resumed = await Promise.all(
    subs.map(async (s, i) => {
      s.client = await resume(t, backThrough(i).mqttPort, s.clientId, (client) => collect(s, client));
      return Date.now() - killedAt;
    }),
  );
  await quietPeriod(1000); // load flowing after the clients came back
  await load.stop();

  await untilAll([...subs, own], load.acked);
  const missing = subs.map((s) => [...load.acked].filter((p) => !s.received.includes(p)).length);
  const duplicates = subs.map((s) => s.received.length - new Set(s.received).size);
  const ownLoad = own.received.filter((p) => p !== 'probe');
  const ownMissing = [...load.acked].filter((p) => !ownLoad.includes(p)).length;
  const ownDuplicates = ownLoad.length - new Set(ownLoad).size;
  const adoptedAt = loggedAt(cluster, 'cluster: adopted the sessions of a dead node');
  t.diagnostic(
    `acked ${load.acked.size}; missing ${missing.join('/')}; duplicates ${duplicates.join('/')}; ` +
      `adopted ${adoptedAt === undefined ? 'never' : `${adoptedAt - killedAt} ms`} after the kill; ` +
      `resumed after ${resumed.join('/')} ms; the adopter's own subscriber: missing ${ownMissing}, ` +
      `duplicates ${ownDuplicates}`,
  );
  for (const s of subs) {
    const lost = [...load.acked]
      .filter((p) => !s.received.includes(p))
      .map(Number)
      .sort((a, b) => a - b);
    if (lost.length > 0)
      t.diagnostic(`${s.clientId} lost ${lost.slice(0, 3).join(',')} … ${lost.slice(-3).join(',')}`);
  }
  if (process.env.DEVGATE_DEATH_LOGS === '1')
    for (const node of cluster.nodes)
      for (const line of jsonLines(node.logs())
        .split('\n')
        .filter((l) => /"level":(40|50)|adopt|inbox/.test(l))
        .slice(0, 60))
        t.diagnostic(`${node.name}: ${line.slice(0, 300)}`);
  assert.ok(load.acked.size > 0, 'the publisher got PUBACKs');
  assert.ok(adoptedAt !== undefined, 'a survivor adopted the dead node');
  // The one that came back through node-3 moved again, from the adopter, in an ordinary takeover:
  // what the adopter matched for it meanwhile was relayed (decision 0029).
  assert.deepEqual(
    missing,
    subs.map(() => 0),
    'every PUBACKed message reached every subscriber, the one moved on from the adopter too',
  );
  assert.deepEqual(
    { missing: ownMissing, duplicates: ownDuplicates },
    { missing: 0, duplicates: 0 },
    "the adopter's own subscriber got each message once: the dead node's inbox went to its sessions alone",
  );
}

async function willsOfDeadNode(t: TestContext): Promise<void> {
  const cluster = await startCluster(t, {
    nodes: 2,
    command: 'broker',
    haproxy: false,
    env: FAST_MEMBERSHIP,
  });
  const [survivor, doomed] = cluster.nodes;
  const observer = await connectClient(t, survivor!.mqttPort, { protocolVersion: 5 });
  await observer.client.subscribeAsync('wills/#', { qos: 1 });
  await willClient(t, doomed!.mqttPort, 'will-now', 0);
  const leaver = await willClient(t, doomed!.mqttPort, 'will-left', 0);
  await willClient(t, doomed!.mqttPort, 'will-later', 60);
  // Sessions that end with their connection (v5 expiry 0, 3.1.1 clean session): no session row.
  for (const [clientId, protocolVersion] of [
    ['will-clean', 5],
    ['will-clean-311', 4],
  ] as const)
    await connectClient(t, doomed!.mqttPort, {
      protocolVersion,
      clientId,
      clean: true,
      will: { topic: `wills/${clientId}`, payload: Buffer.from('gone'), qos: 1, retain: false },
    });
  await leaver.client.endAsync(); // normal DISCONNECT: its will is discarded [MQTT-3.1.2-10]
  const probe = await connectClient(t, doomed!.mqttPort, { protocolVersion: 5 });
  await untilRouted(probe.client, 'wills/probe', () =>
    observer.inbox.all.some((m) => m.topic === 'wills/probe'),
  );
  const killedAt = Date.now();
  await doomed!.kill9();
  // Reconnected within its will delay [MQTT-3.1.3-9]: that will must not go out.
  await resume(t, survivor!.mqttPort, 'will-later');
  const wills = () => observer.inbox.all.filter((m) => m.topic !== 'wills/probe').map((m) => m.topic);
  const expected = ['wills/will-clean', 'wills/will-clean-311', 'wills/will-now'];
  const deadline = Date.now() + RECOVERY_MS;
  while (expected.some((w) => !wills().includes(w)) && Date.now() < deadline) await quietPeriod(100);
  const publishedAfter = Date.now() - killedAt;
  await quietPeriod(1000); // a will that must not go out would arrive now
  t.diagnostic(`wills published ${publishedAfter} ms after the kill`);
  assert.deepEqual(
    wills().sort(),
    expected,
    'only the wills of the clients cut off without a delay, sessions that ended with them included',
  );
}

/**
 * A graceful stop makes every session durable and marks the node dead at once: a survivor adopts
 * its sessions and what its inbox still holds, so a client resuming on another node (after 0x88
 * while that happens) finds every message queued for it, even one the stopping node had not read.
 */
async function gracefulStop(t: TestContext): Promise<void> {
  // Default membership timings: the adoption must not wait for the dead time.
  const cluster = await startCluster(t, { nodes: 2, command: 'broker', haproxy: false });
  const [survivor, stopped] = cluster.nodes;
  const first = await connectClient(t, stopped!.mqttPort, persistentOptions('graceful'));
  await first.client.subscribeAsync('graceful/#', { qos: 1 });
  const publisher = await connectClient(t, survivor!.mqttPort, { protocolVersion: 5 });
  await untilRouted(publisher.client, 'graceful/probe', () =>
    first.inbox.all.some((m) => m.topic === 'graceful/probe'),
  );
  await first.client.endAsync(); // normal DISCONNECT: the session stays (expiry 300 s)
  const queued = ['1', '2', '3', '4', '5'];
  for (const payload of queued) await publisher.client.publishAsync('graceful/seq', payload, { qos: 1 });
  assert.equal(await stopped!.stop(), 0, 'the node stopped gracefully');
  const startedAt = Date.now();
  const received: string[] = [];
  await resume(t, survivor!.mqttPort, 'graceful', (client) =>
    client.on('message', (topic, payload) => {
      if (topic === 'graceful/seq') received.push(payload.toString());
    }),
  );
  t.diagnostic(`resumed ${Date.now() - startedAt} ms after the stop`);
  const deadline = Date.now() + RECOVERY_MS;
  while (queued.some((p) => !received.includes(p)) && Date.now() < deadline) await quietPeriod(50);
  assert.deepEqual([...new Set(received)].sort(), queued, 'every message queued for it while it was away');
  assert.ok(
    loggedAt(cluster, 'cluster: adopted the sessions of a dead node') !== undefined,
    'the survivor adopted the stopped node',
  );
}

/**
 * A node killed and restarted under the same name before it counts as dead: no survivor adopts
 * it, so the restarted node publishes the wills its previous run kept: for clients whose session
 * ended with the lost connection, and for a persistent session (restored from the node's store,
 * its will due at once), both to a subscriber on the other node.
 */
async function willsAfterQuickRestart(t: TestContext): Promise<void> {
  // Default membership timings: the restart (a few seconds) beats the dead time (10 s).
  const cluster = await startCluster(t, { nodes: 2, command: 'broker', haproxy: false });
  const [survivor, crashed] = cluster.nodes;
  const observer = await connectClient(t, survivor!.mqttPort, { protocolVersion: 5 });
  await observer.client.subscribeAsync('wills/#', { qos: 1 });
  await connectClient(t, crashed!.mqttPort, {
    protocolVersion: 4,
    clientId: 'will-restart',
    clean: true,
    will: { topic: 'wills/will-restart', payload: Buffer.from('gone'), qos: 1, retain: false },
  });
  await connectClient(t, crashed!.mqttPort, {
    protocolVersion: 4,
    clientId: 'will-restart-persistent',
    clean: false,
    will: { topic: 'wills/persistent-restart', payload: Buffer.from('gone'), qos: 1, retain: false },
  });
  const probe = await connectClient(t, crashed!.mqttPort, { protocolVersion: 5 });
  await untilRouted(probe.client, 'wills/probe', () =>
    observer.inbox.all.some((m) => m.topic === 'wills/probe'),
  );
  await crashed!.kill9();
  const killedAt = Date.now();
  await crashed!.restart();
  const wills = (topic: string) => observer.inbox.all.filter((m) => m.topic === topic);
  const both = () => wills('wills/will-restart').length > 0 && wills('wills/persistent-restart').length > 0;
  const deadline = Date.now() + RECOVERY_MS;
  while (!both() && Date.now() < deadline) await quietPeriod(100);
  t.diagnostic(`wills published ${Date.now() - killedAt} ms after the kill`);
  await quietPeriod(1000); // a second copy would arrive now
  assert.equal(
    wills('wills/will-restart').length,
    1,
    '[MQTT-3.1.2-8] the will of the connection lost in the crash, once',
  );
  assert.equal(
    wills('wills/persistent-restart').length,
    1,
    '[MQTT-3.1.2-8] the will of a persistent session restored from the store reaches the other node, once',
  );
  assert.equal(loggedAt(cluster, 'cluster: adopted the sessions of a dead node'), undefined, 'no adoption');
}

/** Every value of `ds` stored for `deviceId`, read through `api` (newest first, pages of 1000). */
async function storedValues(api: ClusterApi, deviceId: number, ds: number): Promise<string[]> {
  const values: string[] = [];
  for (let page = 0; ; page += 1) {
    const answer = await api.expect<{ content: { value: unknown }[] }>(
      200,
      'GET',
      `/api/v1/organization/device/datastream/history?deviceId=${deviceId}&dataStreamId=${ds}&page=${page}&size=1000`,
    );
    values.push(...answer.content.map((c) => String(c.value)));
    if (answer.content.length < 1000) return values;
  }
}

async function ingestDuringKill(t: TestContext): Promise<void> {
  const cluster = await startCluster(t, { nodes: 2, haproxy: false, env: FAST_MEMBERSHIP });
  const [survivor, doomed] = cluster.nodes;
  const api = await cluster.api(survivor);
  const template = await api.createTemplate('Ingest');
  const power = template.datastreams.find((d) => d.name === 'Power')!;
  const device = await api.createDevice(template.id, 'Ingesting');
  const login = { protocolVersion: 5 as const, username: 'device', password: device.token };
  const connected = await connectClient(t, doomed!.mqttPort, login);
  const acked: string[] = [];
  let next = 1;
  let running = true;
  const publishing = (async () => {
    while (running && next <= 1000) {
      const value = String(next++);
      try {
        await connected.client.publishAsync('ds/Power', value, { qos: 1 });
      } catch {
        return; // the connection went with the node
      }
      acked.push(value);
    }
  })();
  await until(() => acked.length >= 100);
  const closed = new Promise<void>((resolve) => connected.client.once('close', () => resolve()));
  await doomed!.kill9();
  running = false;
  // A publish in flight when the connection went is never answered: the close ends the run.
  await Promise.race([publishing, closed]);
  const pubacked = [...acked];
  const stored = new Set(await storedValues(api, device.id, power.id));
  const missing = pubacked.filter((v) => !stored.has(v));
  t.diagnostic(
    `PUBACKed ${pubacked.length} values before the kill, ${missing.length} missing from PostgreSQL`,
  );
  assert.deepEqual(missing, [], 'every PUBACKed value is stored');
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${RECOVERY_MS} ms`);
    await quietPeriod(20);
  }
}

describe('a node dies (kill -9)', clusterTestOptions(), () => {
  test(
    '[MQTT-3.1.2-8] a node killed and restarted before it counts as dead publishes, to a subscriber on another node, the will of a client whose session ended with the lost connection (3.1.1 clean session) and of a persistent session it restores',
    { timeout: TEST_MS },
    (t) => willsAfterQuickRestart(t),
  );
  test(
    '[MQTT-3.1.2-5] a node stopped gracefully (SIGTERM) is adopted at once: a persistent session resumes on another node with every QoS 1 message queued for it',
    { timeout: TEST_MS },
    (t) => gracefulStop(t),
  );
  test(
    '[MQTT-4.3.2] kill -9 under QoS 1 load: persistent subscribers resume through another node (the adopter, or a third node taking the session over from it) with no PUBACKed message missing (duplicates allowed), and a subscriber of the adopter’s own gets no duplicate',
    { timeout: TEST_MS },
    (t) => killUnderLoad(t),
  );
  test(
    '[MQTT-3.1.2-8] [MQTT-3.1.3-9] [MQTT-3.1.2-10] the wills of clients of the killed node are published by the node adopting it: without a delay (persistent session), or whose session ended with the connection (v5 expiry 0, 3.1.1 clean session); not the will of a client that disconnected normally, nor one whose client reconnected within its delay',
    { timeout: TEST_MS },
    (t) => willsOfDeadNode(t),
  );
  test(
    "spec §3.5 device ingest during a kill -9: every value a device got a PUBACK for on the killed node is stored in PostgreSQL (read through the other node's HTTP API)",
    { timeout: TEST_MS },
    (t) => ingestDuringKill(t),
  );
});
