import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IConnectPacket, Packet } from 'mqtt-packet';
import { type Authenticator, allowAll } from '../../src/broker/auth.js';
import type { ClientAdapter } from '../../src/broker/client-adapter.js';
import { type RunningPlatform, startPlatform } from '../../src/cli/start-command.js';
import { loadStartConfig } from '../../src/config/start-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { connectClient, serverClose, uniqueId } from '../helpers/mqtt-client.js';
import { connectBytes, publishBytes } from '../helpers/packets.js';
import { callerFor } from '../helpers/platform.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';
import { RawLink } from '../helpers/raw-link.js';
import { localPortArgs } from '../helpers/spawn-cli.js';
import { startServer } from '../helpers/start-server.js';
import { start as startAllListeners, client as transportClient, urls } from '../helpers/transport-clients.js';

/**
 * Nothing a client sends may stop the process (architecture: "Nothing a client sends may stop the
 * process"). Each case below once ended the process; after each, the server must still serve a
 * well-behaved `mqtt` client.
 */

type Transport = 'tcp' | 'ws';
const TRANSPORTS: readonly Transport[] = ['tcp', 'ws'];

/** A CONNECT with protocol level 6, which no version of MQTT has. */
const LEVEL_6_CONNECT = connectBytes({ level: 6, clientId: 'again' });
/** The longest topic whose reason string (`invalid topic name '…'`) no longer fit 65,535 bytes. */
const HUGE_INVALID_TOPIC = `${'a'.repeat(65_514)}+`;

function connectPacket(
  clientId: string,
  login: { username?: string; password?: string } = {},
  protocolVersion: 4 | 5 = 5,
): IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion,
    clean: true,
    keepalive: 0,
    clientId,
    ...(login.username === undefined ? {} : { username: login.username }),
    ...(login.password === undefined ? {} : { password: Buffer.from(login.password) }),
  };
}

interface Platform {
  readonly running: RunningPlatform;
  readonly token: string;
  readonly mqttPort: number;
  readonly wsUrl: string;
  /** Every log line written so far (pino at debug). */
  readonly log: string[];
}

/** `devgate start` in-process, logging at debug into `log`, with one device. */
async function platform(t: TestContext): Promise<Platform> {
  const log: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void log.push(line) },
  });
  const dataDir = await tempDataDir(t);
  const config = loadStartConfig({
    argv: ['--data-dir', dataDir, ...localPortArgs('0'), '--log-level', 'debug'],
    env: {},
    cwd: dataDir,
  });
  const running = await startPlatform(config, logger);
  t.after(() => running.close());
  const caller = callerFor(running.admin.root.id);
  const template = await running.platform.templates.create(caller, { name: 'Crash Probe' });
  const { token } = await running.platform.devices.create(caller, {
    templateId: template.id,
    name: 'Probe 1',
  });
  const { mqtt, http } = running.server.addresses;
  return { running, token, mqttPort: mqtt!, wsUrl: `ws://127.0.0.1:${http}/mqtt`, log };
}

/** A plain broker (anonymous allowed) with TCP and WebSocket listeners. */
async function plainBroker(t: TestContext): Promise<{ port: number; wsUrl: string }> {
  const { server } = await startAllListeners(t);
  return { port: server.addresses.mqtt!, wsUrl: urls(server).ws };
}

function open(t: TestContext, transport: Transport, port: number, wsUrl: string): Promise<RawLink> {
  return transport === 'tcp' ? RawLink.tcp(t, port) : RawLink.ws(t, wsUrl);
}

/** The device asks for the time and gets the answer: the platform still serves. */
async function deviceRoundTrip(t: TestContext, p: Platform): Promise<void> {
  for (const protocolVersion of [4, 5] as const) {
    const { client, inbox } = await connectClient(t, p.mqttPort, {
      protocolVersion,
      username: 'device',
      password: p.token,
    });
    await client.subscribeAsync('downlink/#', { qos: 1 });
    await client.publishAsync('get/utc/all/json', '', { qos: 1 });
    const answer = await inbox.next();
    assert.equal(answer.topic, 'downlink/utc/all/json');
    await client.endAsync();
  }
}

/** A message published by one `mqtt` client reaches another: the broker still serves. */
async function plainRoundTrip(t: TestContext, url: string): Promise<void> {
  for (const protocolVersion of [4, 5] as const) {
    const topic = `alive/${uniqueId('rt')}`;
    const subscriber = await transportClient(t, url, { protocolVersion });
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_topic, payload) => resolve(payload.toString())),
    );
    await subscriber.subscribeAsync(topic, { qos: 1 });
    const publisher = await transportClient(t, url, { protocolVersion });
    await publisher.publishAsync(topic, 'still here', { qos: 1 });
    assert.equal(await received, 'still here');
  }
}

/**
 * [MQTT-3.1.0-2] The second CONNECT, protocol level 6, sent in its own segment once the first has
 * left: its level must not decide the answer's format (it once made a 3.1.1 CONNACK the v5
 * encoder refused, from inside the error path).
 */
async function secondConnectLevel6(link: RawLink, first: Packet): Promise<void> {
  await link.send(first);
  await sleep(5); // not a synchronisation: only so the two packets reach the server as two reads
  await link.send(LEVEL_6_CONNECT);
  await link.expectClosed();
}

for (const transport of TRANSPORTS) {
  test(`[MQTT-3.1.0-2] platform, ${transport}: a level-6 CONNECT while a v5 login is being checked closes that connection only`, async (t) => {
    const p = await platform(t);
    const link = await open(t, transport, p.mqttPort, p.wsUrl);
    // An OAuth client login: the secret check takes a while, the connection is still 'connecting'.
    await secondConnectLevel6(
      link,
      connectPacket(uniqueId('crash1'), { username: 'some-client', password: 'x' }),
    );
    for (const packet of link.packets) {
      assert.ok(packet.cmd === 'connack' || packet.cmd === 'disconnect', `unexpected ${packet.cmd}`);
      if (packet.cmd === 'connack') assert.notEqual(packet.reasonCode, undefined, 'a v5 CONNACK');
    }
    await deviceRoundTrip(t, p);
  });

  test(`[MQTT-3.1.0-2] platform, ${transport}: a level-6 CONNECT after a device's v5 CONNACK gets DISCONNECT 0x82`, async (t) => {
    const p = await platform(t);
    const link = await open(t, transport, p.mqttPort, p.wsUrl);
    await link.send(connectPacket(uniqueId('crash1'), { username: 'device', password: p.token }));
    assert.equal((await link.waitFor('connack')).reasonCode, 0);
    await link.send(LEVEL_6_CONNECT);
    await link.expectClosed();
    assert.equal((await link.waitFor('disconnect')).reasonCode, 0x82);
    await deviceRoundTrip(t, p);
  });

  test(`[MQTT-3.1.0-2] plain broker, ${transport}: a level-6 CONNECT after a v5 CONNACK gets DISCONNECT 0x82`, async (t) => {
    const broker = await plainBroker(t);
    const link = await open(t, transport, broker.port, broker.wsUrl);
    await link.send(connectPacket(uniqueId('crash1')));
    assert.equal((await link.waitFor('connack')).reasonCode, 0);
    await link.send(LEVEL_6_CONNECT);
    await link.expectClosed();
    const disconnect = await link.waitFor('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    assert.equal(disconnect.properties?.reasonString, 'second CONNECT');
    await plainRoundTrip(t, transport === 'tcp' ? `mqtt://127.0.0.1:${broker.port}` : broker.wsUrl);
  });

  test(`[MQTT-3.1.0-2] plain broker, ${transport}: a level-6 CONNECT right behind a v5 CONNECT closes that connection only`, async (t) => {
    const broker = await plainBroker(t);
    const link = await open(t, transport, broker.port, broker.wsUrl);
    await secondConnectLevel6(link, connectPacket(uniqueId('crash1')));
    await plainRoundTrip(t, transport === 'tcp' ? `mqtt://127.0.0.1:${broker.port}` : broker.wsUrl);
  });

  test(`MQTT 5.0 §3.14.2.2.2 platform, ${transport}: a 65,515-byte invalid topic gets DISCONNECT 0x90 with a short reason string`, async (t) => {
    const p = await platform(t);
    const link = await open(t, transport, p.mqttPort, p.wsUrl);
    await link.send(connectPacket(uniqueId('crash2'), { username: 'device', password: p.token }));
    assert.equal((await link.waitFor('connack')).reasonCode, 0);
    await link.send(publishBytes({ version: 5, topic: HUGE_INVALID_TOPIC, payload: 'x' }));
    await link.expectClosed();
    const disconnect = await link.waitFor('disconnect');
    assert.equal(disconnect.reasonCode, 0x90);
    const reason = disconnect.properties?.reasonString ?? '';
    assert.ok(Buffer.byteLength(reason) <= 128, `reason string of ${Buffer.byteLength(reason)} bytes`);
    assert.match(reason, /^invalid topic name 'a+/);
    await deviceRoundTrip(t, p);
  });

  test(`MQTT 5.0 §3.14.2.2.2 plain broker, ${transport}: a 65,515-byte invalid topic gets DISCONNECT 0x90 with a short reason string`, async (t) => {
    const broker = await plainBroker(t);
    const link = await open(t, transport, broker.port, broker.wsUrl);
    await link.send(connectPacket(uniqueId('crash2')));
    assert.equal((await link.waitFor('connack')).reasonCode, 0);
    await link.send(publishBytes({ version: 5, topic: HUGE_INVALID_TOPIC, payload: 'x' }));
    await link.expectClosed();
    const disconnect = await link.waitFor('disconnect');
    assert.equal(disconnect.reasonCode, 0x90);
    assert.ok(Buffer.byteLength(disconnect.properties?.reasonString ?? '') <= 128);
    await plainRoundTrip(t, transport === 'tcp' ? `mqtt://127.0.0.1:${broker.port}` : broker.wsUrl);
  });
}

test('[MQTT-3.1.0-2] 3.1.1: a level-6 CONNECT after CONNACK closes the connection without an answer', async (t) => {
  const broker = await plainBroker(t);
  const link = await RawLink.tcp(t, broker.port, 4);
  await link.send(connectPacket(uniqueId('crash1'), {}, 4), 4);
  assert.equal((await link.waitFor('connack')).returnCode, 0);
  await link.send(LEVEL_6_CONNECT);
  await link.expectClosed();
  assert.deepEqual(
    link.packets.map((p) => p.cmd),
    ['connack'],
  );
  await plainRoundTrip(t, `mqtt://127.0.0.1:${broker.port}`);
});

test('device tokens never appear in reason strings, downlink/diag texts or logs (pino at debug)', async (t) => {
  const p = await platform(t);
  const device = await connectClient(t, p.mqttPort, {
    protocolVersion: 5,
    username: 'device',
    password: p.token,
  });
  await device.client.subscribeAsync('downlink/#', { qos: 0 });
  // An unknown topic carrying the token: the diag quotes the topic, redacted.
  await device.client.publishAsync(`dev/${p.token}/nothing/here`, '1', { qos: 1 }).catch(() => undefined);
  const diag = await device.inbox.next();
  assert.equal(diag.topic, 'downlink/diag');
  assert.equal(diag.payload.toString(), 'Unknown topic "dev/***/nothing/here"');
  // An invalid topic carrying the token: the reason string quotes it, redacted.
  const link = await RawLink.tcp(t, p.mqttPort);
  await link.send(connectPacket(uniqueId('redact'), { username: 'device', password: p.token }));
  await link.waitFor('connack');
  await link.send(publishBytes({ version: 5, topic: `dev/${p.token}/ds/+`, payload: '1' }));
  await link.expectClosed();
  const disconnect = await link.waitFor('disconnect');
  assert.equal(disconnect.properties?.reasonString, "invalid topic name 'dev/***/ds/+'");
  await p.running.close();
  const output = p.log.join('');
  assert.ok(output.includes('protocol failure'), 'the protocol failure was logged');
  assert.ok(output.includes('dev/***/ds/+'), 'the redacted topic was logged');
  assert.ok(!output.includes(p.token), 'the token is in the log');
});

test('devgate_connection_errors_total counts protocol failures of accepted connections', async (t) => {
  const p = await platform(t);
  const link = await RawLink.tcp(t, p.mqttPort);
  await link.send(connectPacket(uniqueId('metric'), { username: 'device', password: p.token }));
  await link.waitFor('connack');
  await link.send(publishBytes({ version: 5, topic: 'a/+', payload: '1' }));
  await link.expectClosed();
  const text = await (await fetch(`http://127.0.0.1:${p.running.server.addresses.http}/metrics`)).text();
  const metrics = parseExposition(text);
  assert.equal(sampleValue(metrics, 'devgate_connection_errors_total', { kind: 'protocol' }), 1);
  assert.equal(sampleValue(metrics, 'devgate_connection_errors_total', { kind: 'internal' }), 0);
});

/**
 * An adapter whose wire topic cannot be encoded (longer than an MQTT string can be): a server
 * fault that shows only when a message is delivered to this client, on the publisher's call stack.
 */
const unencodableAdapter: ClientAdapter = {
  onPublish: (topic) => ({ kind: 'route', topic }),
  onSubscribe: (filter, qos) => ({ filter, maxQos: qos }),
  toWireTopic: () => 'w'.repeat(70_000),
};

const brokenForSome: Authenticator = {
  authenticate: (request) => ({
    ok: true,
    identity: { clientId: request.clientId },
    ...(request.clientId.startsWith('broken-') ? { adapter: unencodableAdapter } : {}),
  }),
};

test('a delivery that cannot be encoded for its receiver closes the receiver only (DISCONNECT 0x83)', async (t) => {
  const srv = await startServer(t, { deps: { authenticator: brokenForSome, authorizer: allowAll } });
  const persistent = { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } } as const;
  const receiverId = uniqueId('broken');
  const receiver = await connectClient(t, srv.port, { ...persistent, clientId: receiverId });
  await receiver.client.subscribeAsync('news/#', { qos: 1 });
  const bystander = await connectClient(t, srv.port, { protocolVersion: 5 });
  await bystander.client.subscribeAsync('news/#', { qos: 1 });
  const publisher = await connectClient(t, srv.port, { protocolVersion: 5 });
  const receiverClosed = serverClose(receiver.client);
  await publisher.client.publishAsync('news/today', 'hello', { qos: 1 }); // its PUBACK: the publisher is fine
  const closed = await receiverClosed;
  assert.equal(closed.disconnect?.reasonCode, 0x83);
  assert.equal((await bystander.inbox.next()).payload.toString(), 'hello');
  assert.ok(publisher.client.connected, 'the publisher stays connected');
  assert.deepEqual(srv.metrics.connectionErrors, { protocol: 0, internal: 1 });
  // The message was dropped for the receiver, not kept to fail again: it reconnects and stays.
  const again = await connectClient(t, srv.port, { ...persistent, clientId: receiverId });
  assert.equal(again.connack.sessionPresent, true);
  await again.inbox.expectNone();
  assert.ok(again.client.connected);
});

test('limits.incompletePacketTimeoutMs: a packet trickled a byte at a time closes the connection (0x8D)', async (t) => {
  const srv = await startServer(t, { limits: { incompletePacketTimeoutMs: 300 } });
  const link = await RawLink.tcp(t, srv.port);
  await link.send(connectPacket(uniqueId('slow'), {}));
  await link.waitFor('connack');
  // Keepalive would never end this connection: every byte counts as a sign of life.
  const publish = publishBytes({ version: 5, topic: 'slow/topic', payload: 'x'.repeat(100) });
  let sent = 0;
  const trickle = setInterval(() => {
    if (sent < publish.length - 1) void link.send(publish.subarray(sent, ++sent));
  }, 50);
  t.after(() => clearInterval(trickle));
  await link.expectClosed(5000);
  clearInterval(trickle);
  const disconnect = await link.waitFor('disconnect');
  assert.equal(disconnect.reasonCode, 0x8d);
  assert.equal(disconnect.properties?.reasonString, 'packet incomplete after 300 ms');
  assert.ok(sent < publish.length - 1, 'closed before the packet was complete');
});

test('limits.incompletePacketTimeoutMs: half a packet and silence closes a connection without keepalive', async (t) => {
  const srv = await startServer(t, { limits: { incompletePacketTimeoutMs: 300, maxKeepAlive: 0 } });
  const link = await RawLink.tcp(t, srv.port, 4);
  await link.send(connectPacket(uniqueId('half'), {}, 4), 4);
  await link.waitFor('connack');
  const publish = publishBytes({ version: 4, topic: 'half/topic', payload: 'payload' });
  await link.send(publish.subarray(0, 6));
  await link.expectClosed(3000);
  assert.deepEqual(srv.metrics.connectionErrors, { protocol: 1, internal: 0 });
});

test('limits.incompletePacketTimeoutMs: each packet has its own bound; packets completed in time keep the connection', async (t) => {
  const srv = await startServer(t, { limits: { incompletePacketTimeoutMs: 300 } });
  const link = await RawLink.tcp(t, srv.port);
  await link.send(connectPacket(uniqueId('steady')));
  await link.waitFor('connack');
  // Four QoS 1 packets, each split in two reads 150 ms apart, the next one started with the end of
  // the previous: a partial packet is held for 600 ms in all, but none for longer than 150 ms.
  const packets = [1, 2, 3, 4].map((id) =>
    publishBytes({ version: 5, topic: 'steady/topic', qos: 1, id, payload: `m${id}` }),
  );
  let carry: Buffer = Buffer.alloc(0);
  for (const packet of packets) {
    const half = packet.length >> 1;
    await link.send(Buffer.concat([carry, packet.subarray(0, half)]));
    carry = packet.subarray(half);
    await sleep(150);
  }
  await link.send(carry);
  await link.waitForCount('puback', 4);
  assert.equal(link.isClosed, false);
  assert.deepEqual(srv.metrics.connectionErrors, { protocol: 0, internal: 0 });
});

test('socket workers: a connection failing in the broker leaves the other connections of its worker open', async (t) => {
  const srv = await startServer(t, { socketWorkers: 1 });
  const bystander = await connectClient(t, srv.port, { protocolVersion: 5 });
  await bystander.client.subscribeAsync('still/#', { qos: 1 });
  for (const attack of [HUGE_INVALID_TOPIC, 'level-6']) {
    const link = await RawLink.tcp(t, srv.port);
    await link.send(connectPacket(uniqueId('attacker')));
    await link.waitFor('connack');
    await link.send(
      attack === 'level-6' ? LEVEL_6_CONNECT : publishBytes({ version: 5, topic: attack, payload: 'x' }),
    );
    await link.expectClosed();
  }
  await bystander.client.publishAsync('still/here', 'yes', { qos: 1 });
  assert.equal((await bystander.inbox.next()).payload.toString(), 'yes');
  assert.equal(srv.metrics.socketWorkerExits, 0);
});
