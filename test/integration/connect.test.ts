import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connackCode, connectClient, connectRefused, serverClose, uniqueId } from '../helpers/mqtt-client.js';
import { connectBytes, propertiesBlock } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { untilMarker } from '../helpers/sync.js';
import { stopwatch } from '../helpers/wait.js';

const versions = [4, 5] as const;

for (const protocolVersion of versions) {
  test(`[MQTT-3.2.2-1] v${protocolVersion}: an accepted CONNECT gets CONNACK 0x00 with session present 0`, async (t) => {
    const srv = await startServer(t);
    const { connack } = await connectClient(t, srv.port, { protocolVersion, clean: true });
    assert.equal(connackCode(connack), 0);
    assert.equal(connack.sessionPresent, false);
  });

  test(`[MQTT-3.1.0-2] v${protocolVersion}: a second CONNECT closes the connection`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clean: true,
      keepalive: 0,
      clientId: 'again',
    });
    const closed = await raw.expectClosed();
    assert.ok(!closed.packets.some((p) => p.cmd === 'connack'), 'no second CONNACK [MQTT-3.2.0-2]');
    if (protocolVersion === 5 && closed.disconnect) assert.equal(closed.disconnect.reasonCode, 0x82);
  });

  test(`[MQTT-3.1.0-1] v${protocolVersion}: a first packet other than CONNECT closes the connection unanswered`, async (t) => {
    const srv = await startServer(t);
    const raw = await RawClient.open(t, srv.port);
    raw.version = protocolVersion;
    raw.send({ cmd: 'pingreq' });
    const closed = await raw.expectClosed();
    assert.deepEqual(
      closed.packets.map((p) => p.cmd),
      [],
    );
  });

  test(`[MQTT-3.1.4-2] v${protocolVersion}: session takeover closes the existing connection`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('takeover');
    const first = await connectClient(t, srv.port, { protocolVersion, clientId });
    const firstClosed = serverClose(first.client);
    const second = await connectClient(t, srv.port, { protocolVersion, clientId });
    const { disconnect } = await firstClosed;
    if (protocolVersion === 5) {
      // [MQTT-3.1.4-3] v5: DISCONNECT 0x8E Session taken over, then close.
      assert.equal(disconnect?.reasonCode, 0x8e, 'old v5 connection gets DISCONNECT 0x8E');
    }
    await second.client.subscribeAsync('takeover/t', { qos: 1 });
    await second.client.publishAsync('takeover/t', 'still here', { qos: 1 });
    assert.equal((await second.inbox.next()).payload.toString(), 'still here');
  });

  test(`[MQTT-3.1.3-5] v${protocolVersion}: client ids longer than maxClientIdLength are refused`, async (t) => {
    const srv = await startServer(t, { limits: { maxClientIdLength: 10 } });
    const connack = await connectRefused(t, srv.port, { protocolVersion, clientId: 'x'.repeat(11) });
    assert.equal(connack === undefined ? -1 : connackCode(connack), protocolVersion === 5 ? 0x85 : 0x02);
    const ok = await connectClient(t, srv.port, { protocolVersion, clientId: 'x'.repeat(10) });
    assert.equal(connackCode(ok.connack), 0);
  });

  test(`maxConnections v${protocolVersion}: connections beyond the limit get CONNACK Server busy / unavailable`, async (t) => {
    const srv = await startServer(t, { limits: { maxConnections: 1 } });
    await connectClient(t, srv.port, { protocolVersion });
    const connack = await connectRefused(t, srv.port, { protocolVersion });
    // [MQTT-3.2.2-6] refusal: session present 0; 3.1.1 has only 0x03 for this.
    assert.equal(connack === undefined ? -1 : connackCode(connack), protocolVersion === 5 ? 0x89 : 0x03);
    assert.equal(connack?.sessionPresent, false);
  });
}

test('[MQTT-3.1.3-6] v3.1.1: an empty client id with clean session 1 is accepted', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  const connack = await raw.handshake({ protocolVersion: 4, clientId: '', clean: true });
  assert.equal(connackCode(connack), 0);
});

test('[MQTT-3.1.3-8] v3.1.1: an empty client id with clean session 0 gets CONNACK 0x02 and is closed', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.sendRaw(connectBytes({ level: 4, flags: 0x00, clientId: '' }));
  const closed = await raw.expectClosed();
  const connack = closed.packets.find((p) => p.cmd === 'connack');
  assert.ok(connack, 'a CONNACK is sent before closing');
  assert.equal(connackCode(connack), 0x02);
});

test('[MQTT-3.2.2-16] v5: an empty client id gets a new Assigned Client Identifier', async (t) => {
  const srv = await startServer(t);
  const a = await connectClient(t, srv.port, { protocolVersion: 5, clientId: '' });
  const b = await connectClient(t, srv.port, { protocolVersion: 5, clientId: '' });
  const idA = a.connack.properties?.assignedClientIdentifier;
  const idB = b.connack.properties?.assignedClientIdentifier;
  assert.ok(idA && idA.length > 0, 'assigned id present');
  assert.ok(idB && idB.length > 0, 'assigned id present');
  assert.notEqual(idA, idB, 'assigned ids are unique');
  const named = await connectClient(t, srv.port, { protocolVersion: 5, clientId: uniqueId() });
  assert.equal(
    named.connack.properties?.assignedClientIdentifier,
    undefined,
    'none when the client named itself',
  );
});

test('[MQTT-3.1.3-7] v5: an empty client id with Clean Start 0 is accepted and assigned an id', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.version = 5;
  raw.sendRaw(
    connectBytes({ level: 5, flags: 0x00, clientId: '', properties: propertiesBlock(0x11, 0, 0, 0, 10) }),
  );
  const connack = await raw.expect('connack');
  assert.equal(connackCode(connack), 0);
  assert.equal(connack.sessionPresent, false);
  assert.ok((connack.properties?.assignedClientIdentifier ?? '').length > 0);
});

test('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01 (or v5 0x84) and is closed', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.sendRaw(connectBytes({ level: 6, clientId: 'level6' }));
  const closed = await raw.expectClosed();
  const frames = [...closed.packets.map((p) => p.raw), ...raw.undecodable];
  const connack = frames.find((f) => f[0] === 0x20);
  if (connack !== undefined) {
    // 3.1.1 layout (2 bytes: flags, 0x01) or v5 layout (flags, 0x84, properties).
    assert.ok(connack[3] === 0x01 || connack[3] === 0x84, `refusal code 0x${connack[3]?.toString(16)}`);
  }
  assert.equal(frames.length, connack === undefined ? 0 : 1, 'nothing but the refusal');
});

test('[MQTT-3.1.2-1] a wrong protocol name closes the connection without accepting it', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.sendRaw(connectBytes({ protocolName: 'MQTX', level: 4 }));
  const closed = await raw.expectClosed();
  assert.ok(!closed.packets.some((p) => p.cmd === 'connack' && connackCode(p) === 0), 'not accepted');
});

test('[MQTT-3.1.2-3] a CONNECT with the reserved flag set closes the connection', async (t) => {
  const srv = await startServer(t);
  const raw = await RawClient.open(t, srv.port);
  raw.sendRaw(connectBytes({ level: 4, flags: 0x03 }));
  const closed = await raw.expectClosed();
  assert.ok(!closed.packets.some((p) => p.cmd === 'connack' && connackCode(p) === 0), 'not accepted');
});

test('connect timeout: a connection that sends no CONNECT is closed after connectTimeoutMs', async (t) => {
  const srv = await startServer(t, { limits: { connectTimeoutMs: 300 } });
  const elapsed = stopwatch();
  const silent = await RawClient.open(t, srv.port);
  const partial = await RawClient.open(t, srv.port);
  partial.sendRaw('10 20 00 04'); // the start of a CONNECT, never finished
  await silent.expectClosed(3000);
  await partial.expectClosed(3000);
  assert.ok(elapsed() >= 250, `closed after ${elapsed()} ms, before the timeout`);
});

test('MQTT 3.1 (MQIsdp, level 3) clients can connect and publish', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, { protocolVersion: 3, protocolId: 'MQIsdp' });
  assert.equal(connackCode(c.connack), 0);
  await c.client.subscribeAsync('v31/t', { qos: 1 });
  await c.client.publishAsync('v31/t', 'hello 3.1', { qos: 1 });
  assert.equal((await c.inbox.next()).payload.toString(), 'hello 3.1');
});

test('[MQTT-3.2.2-9..22] v5 CONNACK advertises the configured limits truthfully', async (t) => {
  const limits = { receiveMaximum: 20, topicAliasMaximum: 10, maxPacketSize: 4096 };
  const srv = await startServer(t, { limits });
  const { connack } = await connectClient(t, srv.port, { protocolVersion: 5 });
  const p = connack.properties ?? {};
  assert.equal(p.receiveMaximum, 20, 'Receive Maximum = limits.receiveMaximum');
  assert.equal(p.topicAliasMaximum, 10, 'Topic Alias Maximum = limits.topicAliasMaximum');
  assert.equal(p.maximumPacketSize, 4096, 'Maximum Packet Size = limits.maxPacketSize');
  assert.ok(p.maximumQoS === undefined || p.maximumQoS === 2, 'QoS 2 is supported');
  assert.ok(p.retainAvailable === undefined || p.retainAvailable === true, 'retain is supported');
  assert.ok(p.wildcardSubscriptionAvailable !== false, 'wildcards are supported');
  assert.ok(p.subscriptionIdentifiersAvailable !== false, 'subscription ids are supported');
  assert.ok(p.sharedSubscriptionAvailable !== false, 'shared subscriptions are supported');
  assert.equal(
    p.authenticationMethod,
    undefined,
    '[MQTT-4.12.0-6] no auth method unless the client sent one',
  );
  assert.equal(p.assignedClientIdentifier, undefined);
});

test('[MQTT-3.2.2 Session Expiry Interval] v5: a requested expiry above the maximum is answered with the maximum', async (t) => {
  const srv = await startServer(t, { limits: { maxSessionExpiryInterval: 10 } });
  const { connack } = await connectClient(t, srv.port, {
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 1000 },
  });
  assert.equal(connack.properties?.sessionExpiryInterval, 10);
  const within = await connectClient(t, srv.port, {
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 5 },
  });
  const granted = within.connack.properties?.sessionExpiryInterval;
  assert.ok(granted === undefined || granted === 5, 'an allowed request is kept as asked');
});

test('[MQTT-3.1.4-2] takeover with Clean Start 0 keeps the session: subscriptions continue', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('resume');
  const options = {
    protocolVersion: 5 as const,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
  };
  const first = await connectClient(t, srv.port, options);
  await first.client.subscribeAsync('resume/t', { qos: 1 });
  const second = await connectClient(t, srv.port, options);
  assert.equal(second.connack.sessionPresent, true, '[MQTT-3.2.2-3] session present');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('resume/t', 'after takeover', { qos: 1 });
  const got = await untilMarker(pub.client, second);
  assert.deepEqual(
    got.map((m) => m.payload.toString()),
    ['after takeover'],
  );
});

test('[MQTT-3.1.3-5] 1 to 23 alphanumeric client ids are always allowed', async (t) => {
  const srv = await startServer(t);
  for (const clientId of ['a', '0123456789abcdefghijKLM']) {
    const c = await connectClient(t, srv.port, { protocolVersion: 4, clientId });
    assert.equal(connackCode(c.connack), 0);
  }
});

test('[MQTT-3.14.2-2] v5: the takeover DISCONNECT carries no Session Expiry Interval', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('noexp');
  const first = await RawClient.connected(t, srv.port, { protocolVersion: 5, clientId });
  await connectClient(t, srv.port, { protocolVersion: 5, clientId });
  const closed = await first.raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x8e);
  assert.equal(closed.disconnect?.properties?.sessionExpiryInterval, undefined);
});

test('[MQTT-3.1.2-28] v5: no Response Information unless requested', async (t) => {
  const srv = await startServer(t);
  const { connack } = await connectClient(t, srv.port, {
    protocolVersion: 5,
    properties: { requestResponseInformation: false },
  });
  assert.equal(connack.properties?.responseInformation, undefined);
});
