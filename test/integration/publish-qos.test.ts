import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IConnectPacket } from 'mqtt-packet';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { assertSlowConsumerDrops } from '../helpers/slow-consumer.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

const versions = [4, 5] as const;

/** CONNECT fields for a session that survives the connection, per version. */
function persistent(protocolVersion: 4 | 5, clientId: string): Partial<IConnectPacket> {
  return protocolVersion === 5
    ? { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 60 } }
    : { protocolVersion, clientId, clean: false };
}

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;

  test(`[MQTT-4.3.1-1] ${v}: QoS 0 is delivered with DUP 0 and no packet id`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('q0/t', { qos: 2 });
    await sub.client.publishAsync('q0/t', 'zero', { qos: 0 });
    const { packet } = await sub.inbox.next();
    assert.equal(packet.qos, 0);
    assert.equal(packet.dup, false, '[MQTT-3.3.1-2]');
    assert.equal(packet.messageId, undefined, '[MQTT-2.2.1-2] no packet id at QoS 0');
  });

  test(`[MQTT-4.3.2-4] ${v}: QoS 1 PUBLISH is answered by PUBACK with its packet id`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('q1/t', { qos: 1 });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({
      cmd: 'publish',
      topic: 'q1/t',
      qos: 1,
      messageId: 10,
      payload: 'a',
      dup: false,
      retain: false,
    });
    const puback = await raw.expect('puback');
    assert.equal(puback.messageId, 10);
    assert.ok((puback.reasonCode ?? 0) === 0, 'success');
    // [MQTT-4.3.2-5] after PUBACK the same id is a new message.
    raw.send({
      cmd: 'publish',
      topic: 'q1/t',
      qos: 1,
      messageId: 10,
      payload: 'b',
      dup: true,
      retain: false,
    });
    assert.equal((await raw.expect('puback')).messageId, 10);
    const got = await sub.inbox.take(2);
    assert.deepEqual(payloads(got), ['a', 'b']);
    assert.ok(got.every((m) => m.packet.qos === 1));
  });

  test(`[MQTT-4.3.3-10] ${v}: a QoS 2 PUBLISH resent before PUBREL is delivered exactly once`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('q2/t', { qos: 2 });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    const publish = { cmd: 'publish', topic: 'q2/t', qos: 2, messageId: 7, retain: false } as const;
    raw.send({ ...publish, payload: 'once', dup: false });
    assert.equal((await raw.expect('pubrec')).messageId, 7, '[MQTT-4.3.3-8] PUBREC with the id');
    raw.send({ ...publish, payload: 'once', dup: true });
    assert.equal((await raw.expect('pubrec')).messageId, 7, 'the resend is acknowledged again');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    assert.equal((await raw.expect('pubcomp')).messageId, 7, '[MQTT-4.3.3-11] PUBCOMP with the id');
    // [MQTT-4.3.3-12] after PUBCOMP the id names a new message.
    raw.send({ ...publish, payload: 'twice', dup: false });
    await raw.expect('pubrec');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    await raw.expect('pubcomp');
    // Ordered delivery [MQTT-4.6.0-5]: a duplicate of 'once' would arrive before 'twice'.
    const got = await sub.inbox.take(2);
    assert.deepEqual(payloads(got), ['once', 'twice']);
  });

  test(`[MQTT-4.3.3-1..5] ${v}: outbound QoS 2 runs PUBLISH, PUBREC, PUBREL (flags 0x62), PUBCOMP`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2/out', qos: 2 }] });
    assert.deepEqual((await raw.expect('suback')).granted, [2]);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    const published = pub.client.publishAsync('q2/out', 'exactly once', { qos: 2 });
    const msg = await raw.expect('publish');
    assert.equal(msg.qos, 2);
    assert.equal(msg.dup, false, '[MQTT-4.3.3-2] first send has DUP 0');
    assert.ok((msg.messageId ?? 0) > 0, '[MQTT-2.2.1-4] non-zero packet id');
    raw.send({ cmd: 'pubrec', messageId: msg.messageId });
    const pubrel = await raw.expect('pubrel');
    assert.equal(pubrel.messageId, msg.messageId, '[MQTT-4.3.3-4] PUBREL carries the same id');
    assert.equal(pubrel.raw[0], 0x62, '[MQTT-3.6.1-1] PUBREL fixed header flags 0010');
    raw.send({ cmd: 'pubcomp', messageId: msg.messageId });
    await published;
    await raw.expectOpenAndQuiet(200);
  });

  test(`[MQTT-3.8.4-6] ${v}: delivery QoS is the minimum of publish and subscription QoS`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    const granted = await sub.client.subscribeAsync({
      'dg/0': { qos: 0 },
      'dg/1': { qos: 1 },
      'dg/2': { qos: 2 },
    });
    assert.deepEqual(
      granted.map((g) => g.qos),
      [0, 1, 2],
      'the server grants what was asked',
    );
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('dg/1', 'q2 to sub1', { qos: 2 });
    await pub.client.publishAsync('dg/0', 'q1 to sub0', { qos: 1 });
    await pub.client.publishAsync('dg/2', 'q0 to sub2', { qos: 0 });
    await pub.client.publishAsync('dg/2', 'q1 to sub2', { qos: 1 });
    const got = await untilMarker(pub.client, sub);
    assert.deepEqual(
      got.map((m) => [m.payload.toString(), m.packet.qos]),
      [
        ['q2 to sub1', 1],
        ['q1 to sub0', 0],
        ['q0 to sub2', 0],
        ['q1 to sub2', 1],
      ],
    );
  });

  test(`[MQTT-2.2.1-4] ${v}: unacknowledged outbound messages use distinct non-zero packet ids`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ids/t', qos: 1 }] });
    await raw.expect('suback');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    for (let i = 0; i < 5; i += 1) await pub.client.publishAsync('ids/t', `m${i}`, { qos: 1 });
    const ids = new Set<number>();
    for (let i = 0; i < 5; i += 1) {
      const p = await raw.expect('publish');
      assert.equal(p.payload.toString(), `m${i}`, '[MQTT-4.6.0-5] in order');
      ids.add(p.messageId ?? 0);
    }
    assert.equal(ids.size, 5);
    assert.ok(!ids.has(0));
  });

  test(`[MQTT-4.4.0-1] ${v}: an unacknowledged QoS 1 message is resent with DUP and the same id on reconnect`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('redeliver');
    const { raw } = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'redeliver/t', qos: 1 }] });
    await raw.expect('suback');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('redeliver/t', 'not acked', { qos: 1 });
    const first = await raw.expect('publish');
    assert.equal(first.dup, false);
    // Servers resend only on reconnect, never on a live connection [MQTT-4.4.0-1].
    await raw.expectOpenAndQuiet(400);
    raw.destroy();
    await raw.closed;
    const again = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    assert.equal(again.connack.sessionPresent, true);
    const resent = await again.raw.expect('publish');
    assert.equal(resent.messageId, first.messageId, 'original packet id');
    assert.equal(resent.dup, true, '[MQTT-3.3.1-1] DUP set on redelivery');
    assert.equal(resent.payload.toString(), 'not acked');
    again.raw.send({ cmd: 'puback', messageId: resent.messageId });
    await again.raw.expectOpenAndQuiet(300);
  });

  test(`[MQTT-4.4.0-1] ${v}: QoS 2 resumes on reconnect: unacked PUBLISH resent with DUP, then PUBREL resent`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('redeliver2');
    const { raw } = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'redeliver2/t', qos: 2 }] });
    await raw.expect('suback');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('redeliver2/t', 'q2', { qos: 2 });
    const first = await raw.expect('publish');
    raw.destroy();
    await raw.closed;
    // Second connection: PUBLISH comes again; acknowledge with PUBREC, then drop before PUBCOMP.
    const second = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    const resent = await second.raw.expect('publish');
    assert.equal(resent.messageId, first.messageId);
    assert.equal(resent.dup, true);
    second.raw.send({ cmd: 'pubrec', messageId: resent.messageId });
    assert.equal((await second.raw.expect('pubrel')).messageId, first.messageId);
    second.raw.destroy();
    await second.raw.closed;
    // Third connection: only the PUBREL is resent [MQTT-4.3.3-6: no PUBLISH after PUBREL].
    const third = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    const pubrel = await third.raw.expect('pubrel');
    assert.equal(pubrel.messageId, first.messageId);
    third.raw.send({ cmd: 'pubcomp', messageId: pubrel.messageId });
    await third.raw.expectOpenAndQuiet(300);
  });

  test(`[MQTT-4.3.3-10] ${v}: inbound QoS 2 state survives a reconnect: PUBREL after reconnect completes once`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('inbound2/t', { qos: 2 });
    const clientId = uniqueId('inbound2');
    const { raw } = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    raw.send({
      cmd: 'publish',
      topic: 'inbound2/t',
      qos: 2,
      messageId: 9,
      payload: 'first',
      dup: false,
      retain: false,
    });
    await raw.expect('pubrec');
    raw.destroy();
    await raw.closed;
    const again = await RawClient.connected(t, srv.port, persistent(protocolVersion, clientId));
    assert.equal(again.connack.sessionPresent, true);
    // The client resends the PUBLISH (allowed before PUBREL) and then PUBREL.
    again.raw.send({
      cmd: 'publish',
      topic: 'inbound2/t',
      qos: 2,
      messageId: 9,
      payload: 'first',
      dup: true,
      retain: false,
    });
    await again.raw.expect('pubrec');
    again.raw.send({ cmd: 'pubrel', messageId: 9 });
    const pubcomp = await again.raw.expect('pubcomp');
    assert.equal(pubcomp.messageId, 9);
    assert.ok((pubcomp.reasonCode ?? 0) === 0, 'the packet id was known');
    again.raw.send({
      cmd: 'publish',
      topic: 'inbound2/t',
      qos: 0,
      payload: 'after',
      dup: false,
      retain: false,
    });
    assert.deepEqual(payloads(await sub.inbox.take(2)), ['first', 'after']);
  });

  test(`[MQTT-4.3.3-11] ${v}: PUBREL for an unknown packet id is still answered with PUBCOMP`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({ cmd: 'pubrel', messageId: 321 });
    const pubcomp = await raw.expect('pubcomp');
    assert.equal(pubcomp.messageId, 321);
    if (protocolVersion === 5) assert.equal(pubcomp.reasonCode, 0x92, 'v5: Packet Identifier not found');
  });

  test(`[MQTT-4.6.0-6] ${v}: messages on one topic arrive in the order published`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('order/t', { qos: 1 });
    const pub = await connectClient(t, srv.port, { protocolVersion });
    const sends = [];
    for (let i = 0; i < 30; i += 1) sends.push(pub.client.publishAsync('order/t', String(i), { qos: 1 }));
    await Promise.all(sends);
    const got = await sub.inbox.take(30);
    assert.deepEqual(
      payloads(got),
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
  });
}

test('[MQTT-3.4.2-1] v5: QoS 1 to a topic without subscribers is acknowledged (0x00 or 0x10)', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  raw.send({
    cmd: 'publish',
    topic: 'nobody/here',
    qos: 1,
    messageId: 3,
    payload: 'x',
    dup: false,
    retain: false,
  });
  const puback = await raw.expect('puback');
  assert.ok(
    [0x00, 0x10].includes(puback.reasonCode ?? 0),
    `reason 0x${(puback.reasonCode ?? 0).toString(16)}`,
  );
});

test('[MQTT-3.1.4-2 / MQTT-4.4.0-1] takeover hands in-flight messages to the new connection', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('handover');
  const old = await RawClient.connected(t, srv.port, persistent(5, clientId));
  old.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'handover/t', qos: 1 }] });
  await old.raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('handover/t', 'in flight', { qos: 1 });
  const first = await old.raw.expect('publish');
  const fresh = await RawClient.connected(t, srv.port, persistent(5, clientId));
  assert.equal(fresh.connack.sessionPresent, true);
  await old.raw.expectClosed();
  const resent = await fresh.raw.expect('publish');
  assert.equal(resent.messageId, first.messageId);
  assert.equal(resent.dup, true);
});

test('maxWriteBufferBytes: QoS 0 to a consumer that stops reading is dropped and counted, others unaffected', async (t) => {
  const srv = await startServer(t, { limits: { maxWriteBufferBytes: 64 * 1024 } });
  await assertSlowConsumerDrops(t, srv, 'slowq0/t');
});
