import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { clusterTestOptions, startCluster } from '../helpers/cluster.js';
import type { ClusterApi } from '../helpers/cluster-api.js';
import type { ClusterNode } from '../helpers/cluster-node.js';
import { connectClient } from '../helpers/mqtt-client.js';
import { firmwareImage } from '../helpers/ota-world.js';
import { SseReader } from '../helpers/sse-reader.js';
import { quietPeriod } from '../helpers/wait.js';

/**
 * What the HTTP API and the console see of a device is the same on every node of a `devgate start`
 * cluster: the device is connected to node 1, the questions go to node 2 (device feed relay,
 * presence across nodes, ping on another node).
 */

const LIVE = '/api/v1/organization/device/live';
/** Long enough for a change to cross nodes, and for a duplicate to show up after it. */
const CROSS_MS = 5_000;

async function live(t: TestContext, api: ClusterApi, deviceId: number): Promise<SseReader> {
  const response = await api.open(`${LIVE}?deviceId=${deviceId}`);
  assert.equal(response.status, 200, response.status === 200 ? '' : await response.text());
  return new SseReader(t, response);
}

const valueIs = (expected: unknown) => (data: unknown) => (data as { value: unknown }).value === expected;

/** Messages named `event` that arrive within `ms` (the stream is read until then). */
async function drain(reader: SseReader, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return seen;
    try {
      const message = await reader.next(left);
      seen.push(`${message.event}:${JSON.stringify((message.data as { value?: unknown }).value ?? null)}`);
    } catch {
      return seen;
    }
  }
}

async function hardwareConnected(node: ClusterNode, token: string): Promise<string> {
  const response = await fetch(`${node.httpUrl}/external/api/isHardwareConnected?token=${token}`);
  return response.text();
}

test('spec §5.10, decision 0025 across nodes: a device on node 1 as seen from node 2', {
  ...clusterTestOptions(),
  timeout: 300_000,
}, async (t) => {
  const cluster = await startCluster(t, { nodes: 2, haproxy: false });
  const [one, two] = cluster.nodes as [ClusterNode, ClusterNode];
  const api1 = await cluster.api(one);
  const api2 = api1.at(two.httpUrl);
  const template = await api1.createTemplate('Across');
  const power = template.datastreams.find((d) => d.name === 'Power');
  assert.ok(power !== undefined);
  const device = await api1.createDevice(template.id, 'Seen everywhere');

  const onTwo = await live(t, api2, device.id);
  const snapshot = await onTwo.next();
  assert.equal(snapshot.event, 'snapshot');
  assert.equal((snapshot.data as { connected: boolean }).connected, false);
  const onOne = await live(t, api1, device.id);
  assert.equal((await onOne.next()).event, 'snapshot');

  const mqtt = await connectClient(t, one.mqttPort, {
    protocolVersion: 5,
    username: 'device',
    password: device.token,
  });
  const online = await onTwo.until('online', () => true, CROSS_MS);
  assert.equal((online.data as { connected: boolean }).connected, true);

  await t.test('a value sent to node 1 reaches the stream on node 2 once, and node 1’s once', async () => {
    await mqtt.client.publishAsync('ds/Power', '42', { qos: 1 });
    const value = await onTwo.until('value', valueIs(42), CROSS_MS);
    assert.equal((value.data as { pin: string }).pin, 'v1');
    await onOne.until('value', valueIs(42), CROSS_MS);
    // A value written through node 2's API reaches node 1's stream, and nothing came twice.
    await api2.writeValue(device.id, power.id, 43);
    await onOne.until('value', valueIs(43), CROSS_MS);
    const laterOnTwo = await drain(onTwo, 1_000);
    assert.deepEqual(
      laterOnTwo.filter((m) => m.startsWith('value')),
      ['value:43'],
    );
    const laterOnOne = await drain(onOne, 500);
    assert.deepEqual(
      laterOnOne.filter((m) => m.startsWith('value')),
      [],
    );
  });

  await t.test(
    'operations: the relayed changes are counted on /metrics, sent on node 1, received on node 2',
    async () => {
      const metric = async (node: ClusterNode, name: string): Promise<number> => {
        const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name} `));
        return Number(line?.split(' ')[1] ?? Number.NaN);
      };
      assert.ok((await metric(one, 'devgate_cluster_device_feed_sent_total')) >= 1);
      assert.ok((await metric(two, 'devgate_cluster_device_feed_received_total')) >= 1);
      assert.equal(await metric(two, 'devgate_cluster_device_feed_malformed_total'), 0);
      // The node's own drop counters are exported too (nothing was dropped here).
      assert.equal(await metric(one, 'devgate_cluster_relayed_copies_dropped_total'), 0);
      assert.equal(await metric(one, 'devgate_cluster_wills_dropped_total'), 0);
    },
  );

  await t.test('spec §5.10 / §6.2 presence on node 2 of a device connected to node 1', async () => {
    const state = await api2.expect<{ connected: boolean }>(
      200,
      'GET',
      `/api/v1/organization/device/online?deviceId=${device.id}`,
    );
    assert.equal(state.connected, true);
    const details = await api2.expect<{ isHardwareConnected: boolean }>(
      200,
      'GET',
      `/api/v1/organization/device?deviceId=${device.id}`,
    );
    assert.equal(details.isHardwareConnected, true);
    assert.equal(await hardwareConnected(two, device.token), 'true');
  });

  await t.test('spec §3.3 ping through node 2 is sent and timed on node 1, where the device is', async () => {
    const pings = () => mqtt.inbox.all.filter((m) => m.topic === 'downlink/ping').length;
    for (const [api, n] of [
      [api1, 1],
      [api2, 2],
    ] as const) {
      const answer = await api.expect<{ connected: boolean; rttMs: number | null }>(
        200,
        'POST',
        `/api/v1/organization/device/ping?deviceId=${device.id}`,
      );
      assert.equal(answer.connected, true);
      assert.equal(typeof answer.rttMs, 'number', JSON.stringify(answer));
      assert.equal(pings(), n, 'one downlink/ping per call');
      const online = await api.expect<{ lastPingRttMs: number | null }>(
        200,
        'GET',
        `/api/v1/organization/device/online?deviceId=${device.id}`,
      );
      assert.equal(online.lastPingRttMs, answer.rttMs);
    }
  });

  await t.test(
    'spec §3.4 a shipment started through node 2 offers the firmware at once to the device online on node 1',
    async () => {
      const firmware = await api2.upload<{ id: number }>(
        '/api/v1/organization/ota/firmware?name=across',
        firmwareImage({ mcu: '2.0.0', blynk: '1.3.2' }, 8192),
      );
      const shipment = await api2.expect<{ devices: { status: string }[] }>(
        201,
        'POST',
        '/api/v1/organization/ota/shipment',
        { firmwareId: firmware.id, deviceIds: [device.id] },
      );
      assert.deepEqual(
        shipment.devices.map((d) => d.status),
        ['request sent'],
      );
      await mqtt.inbox.until('downlink/ota/json', CROSS_MS);
    },
  );

  await t.test(
    'Redis lost: each node’s streams keep their own node’s changes; back, they cross again',
    async () => {
      const redis = cluster.redis;
      assert.ok(redis !== undefined);
      await redis.kill();
      // The nodes cannot reach each other: node 2 knows from PostgreSQL where the device is.
      const ping = await api2.expect<unknown>(
        200,
        'POST',
        `/api/v1/organization/device/ping?deviceId=${device.id}`,
      );
      assert.deepEqual(ping, { connected: true, rttMs: null, otherNode: true });
      await api2.writeValue(device.id, power.id, 50);
      await onTwo.until('value', valueIs(50), CROSS_MS);
      await mqtt.client.publishAsync('ds/Power', '51', { qos: 1 });
      await onOne.until('value', valueIs(51), CROSS_MS);
      await assert.rejects(onTwo.until('value', valueIs(51), 1_000), 'node 1’s change is lost for node 2');
      await redis.start();
      // Once the nodes are back on the channel (they tell each other what they watch), a value
      // sent to node 1 reaches node 2 again.
      const deadline = Date.now() + 30_000;
      let crossed = false;
      for (let n = 60; !crossed && Date.now() < deadline; n++) {
        await mqtt.client.publishAsync('ds/Power', String(n), { qos: 1 });
        crossed = await onTwo.until('value', valueIs(n), 1_000).then(
          () => true,
          () => false,
        );
        if (!crossed) await quietPeriod(200);
      }
      assert.ok(crossed, 'a value crossed after Redis came back');
    },
  );
});
