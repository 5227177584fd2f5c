import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { connectAsync } from 'mqtt';
import { connectClient } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';
import {
  type Cli,
  cliExit,
  cliStarted,
  localPortArgs,
  readDataFile,
  spawnCli,
} from '../helpers/spawn-cli.js';

/** `devgate broker` as a child process; resolves with its bound ports once it says it runs. */
async function startBroker(
  t: TestContext,
  dataDir: string,
  env: Record<string, string>,
  extraArgs: readonly string[] = [],
): Promise<{ cli: Cli; mqtt: number; http: number }> {
  const args = ['broker', '--data-dir', dataDir, '--log-level', 'warn', ...localPortArgs('0'), ...extraArgs];
  const cli = spawnCli(t, [...args, '--allow-anonymous', '--persistence'], { env });
  await cliStarted(cli, 'the broker to start');
  const listeners = await readDataFile<{ mqtt: number; http: number }>(dataDir, 'listeners.json');
  return { cli, ...listeners };
}

test('Operations on devgate broker: /healthz, /readyz and token-protected /metrics over real HTTP', async (t) => {
  const dataDir = await tempDataDir(t);
  const { cli, mqtt, http } = await startBroker(t, dataDir, { DEVGATE_METRICS_TOKEN: 'broker-scrape' });
  const base = `http://127.0.0.1:${http}`;
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ok', checks: { listeners: 'ok', 'engine-store': 'ok' } });
  assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
  assert.equal((await fetch(`${base}/metrics`)).status, 401);

  const auth = { authorization: 'Bearer broker-scrape' };
  await fetch(`${base}/metrics`, { headers: auth }); // the first scrape starts timing store flushes
  const clientId = 'ops-probe-client-77';
  const client = await connectAsync(`mqtt://127.0.0.1:${mqtt}`, {
    reconnectPeriod: 0,
    protocolVersion: 5,
    clientId,
  });
  t.after(() => client.endAsync(true));
  await client.subscribeAsync('ops/t', { qos: 1 });
  await client.publishAsync('ops/t', 'x', { qos: 1 });

  const response = await fetch(`${base}/metrics`, { headers: auth });
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.ok(!text.includes(clientId));
  const metrics = parseExposition(text);
  assert.equal(sampleValue(metrics, 'devgate_mqtt_connections', { transport: 'tcp', protocol: '5.0' }), 1);
  assert.equal(sampleValue(metrics, 'devgate_mqtt_packets_received_total', { kind: 'subscribe' }), 1);
  assert.equal(sampleValue(metrics, 'devgate_mqtt_packets_sent_total', { kind: 'suback' }), 1);
  assert.ok((sampleValue(metrics, 'devgate_mqtt_messages_sent_total', { qos: '1' }) ?? 0) >= 1);
  assert.ok((sampleValue(metrics, 'devgate_store_flush_seconds_count', { store: 'sessions' }) ?? 0) >= 1);
  assert.ok(sampleValue(metrics, 'process_resident_memory_bytes') !== undefined);

  cli.child.kill('SIGTERM');
  assert.equal(await cliExit(cli), 0);
});

test('devgate broker --sys-interval 1 keeps retained $SYS/broker/… updated each second; 0 publishes none', async (t) => {
  for (const interval of ['1', '0']) {
    const dataDir = await tempDataDir(t);
    const { cli, mqtt } = await startBroker(t, dataDir, {}, ['--sys-interval', interval]);
    const client = await connectClient(t, mqtt, { protocolVersion: 5 });
    await client.client.subscribeAsync(['$SYS/broker/uptime', '$SYS/broker/version', 'probe/t'], { qos: 0 });
    // Retained messages follow the SUBACK before anything published later [MQTT-3.3.1-9].
    await client.client.publishAsync('probe/t', 'barrier', { qos: 1 });
    const retained = await client.inbox.until('probe/t');
    if (interval === '0') {
      assert.deepEqual(retained, [], 'no $SYS topic exists with --sys-interval 0');
    } else {
      const version = retained.find((m) => m.topic === '$SYS/broker/version');
      assert.match(String(version?.payload), /^devgate version \d+\.\d+\.\d+/);
      assert.equal(version?.packet.retain, true);
      const live = await client.inbox.next(3000);
      assert.equal(live.topic, '$SYS/broker/uptime');
      assert.match(live.payload.toString(), /^\d+ seconds$/);
    }
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
  }
});
