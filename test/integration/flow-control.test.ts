import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient } from '../helpers/mqtt-client.js';
import { publishBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

test('v5 [MQTT-3.3.4-9] the server sends no more unacknowledged QoS 1 messages than the client Receive Maximum', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { receiveMaximum: 2 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/t', qos: 1 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  for (let i = 0; i < 5; i += 1) await pub.client.publishAsync('rm/t', `m${i}`, { qos: 1 });
  const first = await raw.expect('publish');
  const second = await raw.expect('publish');
  await raw.expectOpenAndQuiet(300);
  raw.send({ cmd: 'puback', messageId: first.messageId });
  const third = await raw.expect('publish');
  await raw.expectOpenAndQuiet(200);
  raw.send({ cmd: 'puback', messageId: second.messageId });
  raw.send({ cmd: 'puback', messageId: third.messageId });
  const fourth = await raw.expect('publish');
  const fifth = await raw.expect('publish');
  assert.deepEqual(
    [first, second, third, fourth, fifth].map((p) => p.payload.toString()),
    ['m0', 'm1', 'm2', 'm3', 'm4'],
    'nothing lost, order kept',
  );
});

test('v5 [MQTT-4.9.0-2] a QoS 2 message uses send quota until PUBCOMP', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { receiveMaximum: 1 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm2/t', qos: 2 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('rm2/t', 'first', { qos: 2 });
  await pub.client.publishAsync('rm2/t', 'second', { qos: 2 });
  const first = await raw.expect('publish');
  raw.send({ cmd: 'pubrec', messageId: first.messageId });
  await raw.expect('pubrel');
  await raw.expectOpenAndQuiet(300);
  raw.send({ cmd: 'pubcomp', messageId: first.messageId });
  assert.equal((await raw.expect('publish')).payload.toString(), 'second');
});

test('v5 [MQTT-3.3.4-10 / MQTT-4.9.0-3] other packets are not delayed while the send quota is zero', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { receiveMaximum: 1 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'quota/t', qos: 1 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('quota/t', 'a', { qos: 1 });
  await pub.client.publishAsync('quota/t', 'b', { qos: 1 });
  await raw.expect('publish');
  raw.send({ cmd: 'pingreq' });
  await raw.expect('pingresp');
  raw.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'quota/other', qos: 1 }] });
  assert.equal((await raw.expect('suback')).messageId, 2);
});

test('v5 [§3.3.4] more unacknowledged QoS 2 PUBLISHes than the server Receive Maximum: DISCONNECT 0x93', async (t) => {
  const srv = await startServer(t, { limits: { receiveMaximum: 2 } });
  const { raw, connack } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  assert.equal(connack.properties?.receiveMaximum, 2);
  for (let id = 1; id <= 3; id += 1) {
    raw.send({
      cmd: 'publish',
      topic: 'flood/t',
      qos: 2,
      messageId: id,
      payload: 'x',
      dup: false,
      retain: false,
    });
  }
  const closed = await raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x93, 'Receive Maximum exceeded');
});

for (const protocolVersion of [4, 5] as const) {
  test(`[MQTT-3.2.2-15 / §3.1.2.11.4] v${protocolVersion}: packets above limits.maxPacketSize close the connection`, async (t) => {
    const srv = await startServer(t, { limits: { maxPacketSize: 1024 } });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('mps/t', { qos: 0 });
    // Sizes are whole packets: 1 + 2 (remaining length) + body; topic 'mps/t' costs 7 bytes (+1 v5 properties).
    const overhead = protocolVersion === 5 ? 11 : 10;
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.sendRaw(
      publishBytes({
        version: protocolVersion,
        topic: 'mps/t',
        payload: Buffer.alloc(1024 - overhead, 0x61),
      }),
    );
    const atLimit = await sub.inbox.next();
    assert.equal(atLimit.payload.length, 1024 - overhead, 'a packet of exactly maxPacketSize is accepted');
    raw.sendRaw(
      publishBytes({
        version: protocolVersion,
        topic: 'mps/t',
        payload: Buffer.alloc(1025 - overhead, 0x62),
      }),
    );
    const closed = await raw.expectClosed();
    if (protocolVersion === 5)
      assert.equal(closed.disconnect?.reasonCode, 0x95, 'DISCONNECT 0x95 Packet too large');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    assert.deepEqual(await untilMarker(pub.client, sub), [], 'the oversize message was not forwarded');
  });
}

test('v5 [MQTT-3.1.2-24/25] messages larger than the client Maximum Packet Size are skipped, not sent', async (t) => {
  const srv = await startServer(t);
  const small = await connectClient(t, srv.port, {
    protocolVersion: 5,
    properties: { maximumPacketSize: 64 },
  });
  await small.client.subscribeAsync('cmps/t', { qos: 1 });
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('cmps/t', '.'.repeat(32), { qos: 0 });
  await pub.client.publishAsync('cmps/t', '.'.repeat(64), { qos: 1 });
  await pub.client.publishAsync('cmps/t', 'after', { qos: 1 });
  const got = await untilMarker(pub.client, small);
  assert.deepEqual(payloads(got), ['.'.repeat(32), 'after'], 'the big one skipped, later QoS 1 not blocked');
  assert.deepEqual(small.errors, [], 'the client never saw an oversize packet');
  assert.ok(srv.metrics.droppedTooLarge >= 1, 'counted in droppedTooLarge');
});

test('v5 [MQTT-3.1.2-24] a retained message too large for the client is not sent on subscribe', async (t) => {
  const srv = await startServer(t);
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('cmps/retained', '.'.repeat(200), { qos: 1, retain: true });
  const small = await connectClient(t, srv.port, {
    protocolVersion: 5,
    properties: { maximumPacketSize: 64 },
  });
  await small.client.subscribeAsync('cmps/retained', { qos: 1 });
  assert.deepEqual(await untilMarker(pub.client, small), []);
  assert.deepEqual(small.errors, []);
});

test('v5 [MQTT-4.3.3-4 / MQTT-4.4.0-2] a PUBREC with an error code ends the QoS 2 flow and frees the quota', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { receiveMaximum: 1 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'pubrecerr/t', qos: 2 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('pubrecerr/t', 'refused', { qos: 2 });
  await pub.client.publishAsync('pubrecerr/t', 'next', { qos: 2 });
  const first = await raw.expect('publish');
  raw.send({ cmd: 'pubrec', messageId: first.messageId, reasonCode: 0x80 });
  const next = await raw.expect('publish');
  assert.equal(next.payload.toString(), 'next', 'no PUBREL for a refused message; quota returned');
});

test('v5 [MQTT-4.4.0-2] a message refused with PUBACK >= 0x80 is not redelivered on reconnect', async (t) => {
  const srv = await startServer(t);
  const clientId = 'puback-refuser';
  const opts = {
    protocolVersion: 5 as const,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
  };
  const { raw } = await RawClient.connected(t, srv.port, opts);
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'pubackerr/t', qos: 1 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('pubackerr/t', 'refused', { qos: 1 });
  const p = await raw.expect('publish');
  raw.send({ cmd: 'puback', messageId: p.messageId, reasonCode: 0x80 });
  raw.send({ cmd: 'pingreq' });
  await raw.expect('pingresp');
  raw.destroy();
  await raw.closed;
  const again = await RawClient.connected(t, srv.port, opts);
  assert.equal(again.connack.sessionPresent, true);
  await again.raw.expectOpenAndQuiet(300);
});

test('v5 [MQTT-4.9.0-1/2] in-flight messages resent on reconnect respect the new Receive Maximum', async (t) => {
  const srv = await startServer(t);
  const clientId = 'resend-quota';
  const opts = { protocolVersion: 5 as const, clientId, clean: false };
  const { raw } = await RawClient.connected(t, srv.port, {
    ...opts,
    properties: { sessionExpiryInterval: 60, receiveMaximum: 10 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'resendq/t', qos: 1 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  for (const m of ['a', 'b', 'c']) await pub.client.publishAsync('resendq/t', m, { qos: 1 });
  for (let i = 0; i < 3; i += 1) await raw.expect('publish');
  raw.destroy();
  await raw.closed;
  const again = await RawClient.connected(t, srv.port, {
    ...opts,
    properties: { sessionExpiryInterval: 60, receiveMaximum: 1 },
  });
  const first = await again.raw.expect('publish');
  assert.equal(first.payload.toString(), 'a', 'resent in the original order');
  await again.raw.expectOpenAndQuiet(300);
  again.raw.send({ cmd: 'puback', messageId: first.messageId });
  assert.equal((await again.raw.expect('publish')).payload.toString(), 'b');
});
