import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { MetricsRegistry } from '../../src/observability/metrics-registry.js';
import { connectClient, serverClose, subscribeCodes, uniqueId } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { type Exposition, parseExposition, sampleValue } from '../helpers/prometheus.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

/** A registry reading `srv`'s broker, as `/metrics` does; scraped in process. */
function scraperFor(t: TestContext, srv: TestServer): () => Promise<Exposition> {
  const metrics = new MetricsRegistry({ broker: () => srv.server.broker, processMetrics: false });
  t.after(() => metrics.close());
  return async () => parseExposition(await metrics.text());
}

function value(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = sampleValue(exposition, name, labels);
  assert.notEqual(found, undefined, `${name} ${JSON.stringify(labels)} is missing`);
  return found!;
}

test('/metrics sessions by state, subscriptions, retained messages and connections per listener move with clients', async (t) => {
  const srv = await startServer(t);
  const scrape = scraperFor(t, srv);
  const before = await scrape();
  assert.equal(value(before, 'devgate_mqtt_sessions', { state: 'connected' }), 0);
  assert.equal(value(before, 'devgate_mqtt_subscriptions'), 0);

  const kept = await connectClient(t, srv.port, {
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 300 },
  });
  const other = await connectClient(t, srv.port, { protocolVersion: 4 });
  await kept.client.subscribeAsync(['a/+', 'b/#'], { qos: 1 });
  await other.client.subscribeAsync('c', { qos: 0 });
  await other.client.publishAsync('r/1', 'kept', { qos: 1, retain: true });
  await other.client.publishAsync('r/2', 'kept', { qos: 1, retain: true });

  const during = await scrape();
  assert.equal(value(during, 'devgate_mqtt_sessions', { state: 'connected' }), 2);
  assert.equal(value(during, 'devgate_mqtt_sessions', { state: 'disconnected' }), 0);
  assert.equal(value(during, 'devgate_mqtt_subscriptions'), 3);
  assert.equal(value(during, 'devgate_mqtt_retained_messages'), 2);
  const port = String(srv.port);
  assert.equal(value(during, 'devgate_mqtt_connections', { transport: 'tcp', port, protocol: '5.0' }), 1);
  assert.equal(value(during, 'devgate_mqtt_connections', { transport: 'tcp', port, protocol: '3.1.1' }), 1);

  // The v5 session outlives its connection (expiry 300 s): kept, no longer connected.
  const closed = serverClose(kept.client);
  kept.client.end();
  await closed;
  const after = await scrape();
  assert.equal(value(after, 'devgate_mqtt_sessions', { state: 'connected' }), 1);
  assert.equal(value(after, 'devgate_mqtt_sessions', { state: 'disconnected' }), 1);
  assert.equal(value(after, 'devgate_mqtt_subscriptions'), 3);
  assert.equal(sampleValue(after, 'devgate_mqtt_connections', { protocol: '5.0' }), undefined);
});

test('/metrics messages received and sent by QoS 0, 1 and 2 [MQTT-3.8.4-8 granted QoS]', async (t) => {
  const srv = await startServer(t);
  const scrape = scraperFor(t, srv);
  const subscriber = await connectClient(t, srv.port, { protocolVersion: 5 });
  const publisher = await connectClient(t, srv.port, { protocolVersion: 4 });
  await subscriber.client.subscribeAsync('q/#', { qos: 2 });
  await publisher.client.publishAsync('q/0', 'zero', { qos: 0 });
  await publisher.client.publishAsync('q/1', 'one', { qos: 1 });
  await publisher.client.publishAsync('q/2', 'two', { qos: 2 });
  await publisher.client.publishAsync('q/2b', 'two again', { qos: 2 });
  await subscriber.inbox.take(4);

  const metrics = await scrape();
  assert.equal(value(metrics, 'devgate_mqtt_messages_received_total', { qos: '0' }), 1);
  assert.equal(value(metrics, 'devgate_mqtt_messages_received_total', { qos: '1' }), 1);
  assert.equal(value(metrics, 'devgate_mqtt_messages_received_total', { qos: '2' }), 2);
  assert.equal(value(metrics, 'devgate_mqtt_messages_sent_total', { qos: '0' }), 1);
  assert.equal(value(metrics, 'devgate_mqtt_messages_sent_total', { qos: '1' }), 1);
  assert.equal(value(metrics, 'devgate_mqtt_messages_sent_total', { qos: '2' }), 2);
  assert.equal(metrics.types.get('devgate_mqtt_messages_sent_total'), 'counter');
});

test('/metrics denials: ACL-refused publish and subscribe, and a publish to $SYS [MQTT-4.7.2-1]', async (t) => {
  const aclFile = join(await tempDataDir(t), 'acl');
  await writeFile(aclFile, 'topic readwrite open/#\ntopic read $SYS/#\n');
  const srv = await startServer(t, { auth: { allowAnonymous: true, aclFile } });
  const scrape = scraperFor(t, srv);
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  const publish = { cmd: 'publish', dup: false, retain: false, qos: 1 } as const;
  raw.send({ ...publish, topic: 'closed/t', messageId: 1, payload: 'x' });
  assert.equal((await raw.expect('puback')).reasonCode, 0x87);
  raw.send({ ...publish, topic: '$SYS/broker/version', messageId: 2, payload: 'forged' });
  assert.equal((await raw.expect('puback')).reasonCode, 0x87);
  raw.send({ ...publish, topic: 'open/t', messageId: 3, payload: 'fine' });
  assert.equal((await raw.expect('puback')).reasonCode ?? 0x10, 0x10); // no matching subscribers
  const client = await connectClient(t, srv.port, { protocolVersion: 5 });
  assert.deepEqual(await subscribeCodes(client.client, ['closed/#', 'open/#']), [0x80, 0]);

  const metrics = await scrape();
  const denied = (action: string, by: string): number =>
    value(metrics, 'devgate_mqtt_denials_total', { action, by });
  assert.equal(denied('publish', 'authorizer'), 1);
  assert.equal(denied('publish', 'reserved'), 1);
  assert.equal(denied('publish', 'scope'), 0);
  assert.equal(denied('subscribe', 'authorizer'), 1);
  assert.equal(denied('subscribe', 'scope'), 0);
  assert.equal(srv.server.broker.retained.size, 0, 'the forged $SYS publish was not retained');
});

test('/metrics session takeovers [MQTT-3.1.4-3] counted once per replaced connection', async (t) => {
  const srv = await startServer(t);
  const scrape = scraperFor(t, srv);
  const clientId = uniqueId('taken');
  const first = await connectClient(t, srv.port, { protocolVersion: 5, clientId });
  const dropped = serverClose(first.client);
  await connectClient(t, srv.port, { protocolVersion: 5, clientId });
  assert.equal((await dropped).disconnect?.reasonCode, 0x8e); // Session taken over
  const metrics = await scrape();
  assert.equal(value(metrics, 'devgate_mqtt_session_takeovers_total'), 1);
  assert.equal(value(metrics, 'devgate_mqtt_sessions', { state: 'connected' }), 1);
});

test('/metrics build info and uptime', async (t) => {
  const srv = await startServer(t);
  const metrics = await scraperFor(t, srv)();
  const build = metrics.samples.find((s) => s.name === 'devgate_build_info');
  assert.ok(build !== undefined);
  assert.equal(build.value, 1);
  assert.match(build.labels.version ?? '', /^\d+\.\d+\.\d+/);
  assert.equal(build.labels.node, process.versions.node);
  assert.ok(value(metrics, 'devgate_uptime_seconds') > 0);
  assert.equal(metrics.types.get('devgate_uptime_seconds'), 'gauge');
});
