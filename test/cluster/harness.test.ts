import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  CLUSTER_FLAGS,
  type Cluster,
  clusterNodeArgs,
  clusterTestOptions,
  startCluster,
} from '../helpers/cluster.js';
import type { ApiDevice, ApiTemplate } from '../helpers/cluster-api.js';
import { connectFrom } from '../helpers/from-address.js';
import { connackCode, connectClient, connectRefused, serverClose } from '../helpers/mqtt-client.js';

/**
 * The cluster test harness on today's code: three `devgate start` nodes on one PostgreSQL database
 * behind HAProxy (PROXY v2). What these tests check works without the cluster features: the shared
 * database, cache change notifications between processes (decision 0028), the PROXY protocol (0027).
 */

/** A loopback source address neither HAProxy nor the nodes use, so only the PROXY header can name it. */
const CLIENT_ADDRESS = '127.0.0.9';

/** How long a change made through one node may take to show on another (LISTEN/NOTIFY, decision 0028). */
const PROPAGATION_MS = 5000;

/** Each test's own bound (`npm run test:cluster` gives the whole file longer). */
const TEST_MS = 120_000;

/** Polls `read` until `done`, bounded: another process's state can only be observed by asking it. */
async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + PROPAGATION_MS;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

/** A template and a device made through the HTTP API of node `index`. */
async function deviceThrough(cluster: Cluster, index: number, name: string) {
  const api = await cluster.api(cluster.nodes[index]);
  const template: ApiTemplate = await api.createTemplate(`${name} template`);
  const device: ApiDevice = await api.createDevice(template.id, name);
  const power = template.datastreams.find((d) => d.name === 'Power')!;
  return { template, device, power };
}

/** spec §2.1 device login straight to `port`; the CONNACK code (the client is closed after). */
async function deviceLogin(t: TestContext, port: number, token: string, protocolVersion: 4 | 5 = 5) {
  const refused = await connectRefused(t, port, {
    protocolVersion,
    username: 'device',
    password: token,
  }).then(
    (connack) => ({ connack }),
    (err: Error) => (err.message.includes('accepted') ? undefined : Promise.reject(err)),
  );
  return refused === undefined ? 0 : connackCode(refused.connack!);
}

function node(cluster: Cluster, index: number) {
  const found = cluster.nodes[index];
  assert.ok(found !== undefined, `node ${index + 1}`);
  return found;
}

describe(
  'cluster harness (devgate start × 3 on one PostgreSQL, behind HAProxy with PROXY v2)',
  clusterTestOptions(),
  () => {
    test('three nodes start and report ready; a device made through node 2 logs in through the balancer; values written through node 1 are read back through node 3; PROXY v2 passes the client address', {
      timeout: TEST_MS,
    }, async (t) => {
      const cluster = await startCluster(t);
      const statuses = await cluster.balancer!.statuses();
      assert.deepEqual([...statuses.values()], ['UP', 'UP', 'UP'], JSON.stringify([...statuses]));
      for (const url of [cluster.httpUrl, ...cluster.nodes.map((n) => n.httpUrl)]) {
        assert.equal((await fetch(`${url}/readyz`)).status, 200, url);
      }
      const { device, power } = await deviceThrough(cluster, 1, 'Across');
      // The device is known at once on every node: the database is the source of truth.
      for (const each of cluster.nodes)
        assert.equal(await deviceLogin(t, each.mqttPort, device.token), 0, each.name);

      // spec §6.4 datastream write through node 1, read back through node 3.
      const api = await cluster.api();
      await api.at(node(cluster, 0).httpUrl).writeValue(device.id, power.id, 42);
      await eventually(
        'the write on node 3',
        () => api.at(node(cluster, 2).httpUrl).values(device.id),
        (v) => v.v1 === 42,
      );

      // spec §3 uplink through the balancer, from a source address of its own: read back on every
      // node, and the device's `ip` is the client's, not HAProxy's (decision 0027, PROXY v2).
      const client = await connectClient(t, cluster.mqttPort, {
        protocolVersion: 5,
        username: 'device',
        password: device.token,
      });
      await client.client.publishAsync('ds/Power', '7', { qos: 1 });
      for (const each of cluster.nodes) {
        await eventually(
          `the uplink on ${each.name}`,
          () => api.at(each.httpUrl).values(device.id),
          (v) => v.v1 === 7,
        );
      }
      await client.client.endAsync();
      const from = await connectFrom(cluster.mqttPort, CLIENT_ADDRESS, {
        protocolVersion: 5,
        username: 'device',
        password: device.token,
      });
      assert.equal(from.code, 0);
      for (const each of cluster.nodes) {
        await eventually(
          `the device ip on ${each.name}`,
          () => api.at(each.httpUrl).device(device.id),
          (d) => d.ip === CLIENT_ADDRESS,
        );
      }
    });

    test('spec §6.4 token rotate through node 2: the old token is refused on node 1 (0x86 / 3.1.1 code 4), the new one accepted', {
      timeout: TEST_MS,
    }, async (t) => {
      const cluster = await startCluster(t);
      const { device } = await deviceThrough(cluster, 0, 'Rotated');
      const one = node(cluster, 0);
      assert.equal(await deviceLogin(t, one.mqttPort, device.token), 0);
      const rotated = await (await cluster.api(node(cluster, 1))).rotateToken(device.id);
      assert.notEqual(rotated, device.token);
      // docs/device-api.md: a bad or unknown token gets 0x86 (3.1.1: 4).
      await eventually(
        'node 1 to refuse the old token',
        () => deviceLogin(t, one.mqttPort, device.token),
        (code) => code === 0x86,
      );
      assert.equal(await deviceLogin(t, one.mqttPort, device.token, 4), 4);
      assert.equal(await deviceLogin(t, one.mqttPort, rotated), 0);
      assert.equal(await deviceLogin(t, node(cluster, 2).mqttPort, device.token), 0x86);
    });

    test('kill9() and restart() of a node: HAProxy takes it out and back in; same node, ports and data directory; stop() exits 0', {
      timeout: TEST_MS,
    }, async (t) => {
      const cluster = await startCluster(t);
      const { device } = await deviceThrough(cluster, 0, 'Survivor');
      const two = node(cluster, 1);
      const client = await connectClient(t, two.mqttPort, {
        protocolVersion: 5,
        username: 'device',
        password: device.token,
      });
      const closed = serverClose(client.client);
      await two.kill9();
      assert.equal(two.running, false);
      await closed; // the connection through HAProxy ends with the node
      await eventually(
        'HAProxy to take node 2 out',
        () => cluster.balancer!.statuses(),
        (s) => s.get('node-2') === 'DOWN',
      );
      // The balancer keeps serving from the other nodes.
      assert.equal((await fetch(`${cluster.httpUrl}/readyz`)).status, 200);
      for (let i = 0; i < 4; i += 1) assert.equal(await deviceLogin(t, cluster.mqttPort, device.token), 0);

      const before = two.logs().length;
      await two.restart();
      assert.ok(two.logs().length > before, 'the restart printed its own start-up');
      assert.equal((await cluster.balancer!.statuses()).get('node-2'), 'UP');
      assert.equal(await deviceLogin(t, two.mqttPort, device.token), 0);
      assert.equal(await two.stop(), 0);
    });
  },
);

test('cluster harness: each node gets --node-id and the shared --redis-url when the cluster flags are on, neither while they are off (CLUSTER_FLAGS)', () => {
  const setup = {
    index: 1,
    name: 'node-2',
    command: 'start' as const,
    dataDir: '/tmp/node-2',
    ports: { mqtt: 20001, http: 20002 },
  };
  const redis = { url: 'redis://127.0.0.1:20003', port: 20003, kill: async () => {}, start: async () => {} };
  const shared = { redis, secretKeyFile: '/tmp/secret.key' };
  const on = clusterNodeArgs(setup, shared, { clusterFlags: true });
  const pairs = (args: string[]) =>
    new Map(args.flatMap((a, i) => (a.startsWith('--') ? [[a, args[i + 1]]] : [])));
  assert.equal(pairs(on).get('--node-id'), 'node-2');
  assert.equal(pairs(on).get('--redis-url'), 'redis://127.0.0.1:20003');
  assert.equal(pairs(on).get('--secret-key-file'), '/tmp/secret.key');
  assert.equal(pairs(on).get('--proxy-protocol-from'), '127.0.0.1');
  const off = clusterNodeArgs(setup, shared, { clusterFlags: false, haproxy: false });
  assert.ok(
    !off.includes('--node-id') && !off.includes('--redis-url') && !off.includes('--proxy-protocol-listeners'),
  );
  assert.deepEqual(clusterNodeArgs(setup, shared, {}).includes('--node-id'), CLUSTER_FLAGS);
});
