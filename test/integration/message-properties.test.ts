import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { quietPeriod } from '../helpers/wait.js';

const v5 = { protocolVersion: 5 } as const;

test('v5 [MQTT-3.3.2-4/20] Payload Format Indicator and Content Type are forwarded unaltered', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.subscribeAsync('props/format', { qos: 2 });
  const properties = { payloadFormatIndicator: true, contentType: 'My name' };
  for (const qos of [0, 1, 2] as const)
    await c.client.publishAsync('props/format', `qos ${qos}`, { qos, properties });
  const got = await c.inbox.take(3);
  assert.deepEqual(got.map((m) => m.packet.qos).sort(), [0, 1, 2]);
  for (const m of got) {
    assert.equal(m.packet.properties?.payloadFormatIndicator, true);
    assert.equal(m.packet.properties?.contentType, 'My name');
  }
});

test('v5 [MQTT-3.3.2-15/16] Response Topic and Correlation Data are forwarded (request/response)', async (t) => {
  const srv = await startServer(t);
  const requester = await connectClient(t, srv.port, v5);
  const responder = await connectClient(t, srv.port, v5);
  await requester.client.subscribeAsync('rr/t', { qos: 2, nl: true });
  await responder.client.subscribeAsync('rr/t', { qos: 2, nl: true });
  const request = { responseTopic: 'rr/t', correlationData: Buffer.from('334') };
  await requester.client.publishAsync('rr/t', 'request', { qos: 1, properties: request });
  const asked = await responder.inbox.next();
  assert.equal(asked.packet.properties?.responseTopic, 'rr/t');
  assert.deepEqual(asked.packet.properties?.correlationData, Buffer.from('334'));
  await responder.client.publishAsync(asked.packet.properties?.responseTopic ?? '', 'response', {
    qos: 1,
    properties: { correlationData: asked.packet.properties?.correlationData ?? Buffer.alloc(0) },
  });
  const answer = await requester.inbox.next();
  assert.equal(answer.payload.toString(), 'response');
  assert.deepEqual(answer.packet.properties?.correlationData, Buffer.from('334'));
});

test('v5 [MQTT-3.3.2-17/18] User Properties are forwarded unaltered and in order', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.subscribeAsync('props/user', { qos: 2 });
  const userProperties = { z: 'last-first', a: '2', c: '3', dup: ['one', 'two', 'three'] };
  for (const qos of [0, 1, 2] as const) {
    await c.client.publishAsync('props/user', '', { qos, properties: { userProperties } });
  }
  const got = await c.inbox.take(3);
  for (const m of got) {
    const received = m.packet.properties?.userProperties ?? {};
    assert.deepEqual({ ...received }, userProperties);
    assert.deepEqual(Object.keys(received), ['z', 'a', 'c', 'dup'], 'key order kept');
  }
});

test('v5 [MQTT-3.3.2-5/6] expired queued messages are dropped; others carry the remaining interval', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('expiry');
  const opts = { ...v5, clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
  const offline = await connectClient(t, srv.port, opts);
  await offline.client.subscribeAsync('expiry/t', { qos: 2 });
  await offline.client.endAsync();
  const pub = await connectClient(t, srv.port, v5);
  const short = { properties: { messageExpiryInterval: 1 } };
  const long = { properties: { messageExpiryInterval: 6 } };
  await pub.client.publishAsync('expiry/t', 'qos 1 - expire', { qos: 1, ...short });
  await pub.client.publishAsync('expiry/t', 'qos 2 - expire', { qos: 2, ...short });
  await pub.client.publishAsync('expiry/t', "qos 1 - don't expire", { qos: 1, ...long });
  await pub.client.publishAsync('expiry/t', "qos 2 - don't expire", { qos: 2, ...long });
  await quietPeriod(1600);
  const back = await connectClient(t, srv.port, opts);
  const got = (await untilMarker(pub.client, back)).filter((m) => m.topic === 'expiry/t');
  assert.deepEqual(payloads(got).sort(), ["qos 1 - don't expire", "qos 2 - don't expire"]);
  for (const m of got) {
    const left = m.packet.properties?.messageExpiryInterval ?? -1;
    assert.ok(left > 0 && left < 6, `[MQTT-3.3.2-6] remaining interval ${left} < 6`);
  }
  assert.ok(srv.metrics.droppedExpired >= 2, `droppedExpired = ${srv.metrics.droppedExpired}`);
});

test('v5 [MQTT-3.3.2-6] live deliveries carry the Message Expiry Interval only when one was set', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.subscribeAsync('expiry/live', { qos: 1 });
  await c.client.publishAsync('expiry/live', 'with', { qos: 1, properties: { messageExpiryInterval: 60 } });
  await c.client.publishAsync('expiry/live', 'without', { qos: 1 });
  const [withExpiry, without] = await c.inbox.take(2);
  const left = withExpiry?.packet.properties?.messageExpiryInterval ?? -1;
  assert.ok(left > 0 && left <= 60, `remaining ${left}`);
  assert.equal(without?.packet.properties?.messageExpiryInterval, undefined);
});

test('v5 [MQTT-3.3.2-5] an expired retained message is no longer sent to new subscribers', async (t) => {
  const srv = await startServer(t);
  const pub = await connectClient(t, srv.port, v5);
  await pub.client.publishAsync('expiry/r1', 'short', {
    qos: 1,
    retain: true,
    properties: { messageExpiryInterval: 1 },
  });
  await pub.client.publishAsync('expiry/r2', 'forever', { qos: 1, retain: true });
  await quietPeriod(1300);
  const sub = await connectClient(t, srv.port, v5);
  await sub.client.subscribeAsync('expiry/+', { qos: 1 });
  assert.deepEqual(payloads(await untilMarker(pub.client, sub)), ['forever']);
});

test('v5 → 3.1.1 and back: messages cross protocol versions, v5 properties only reach v5 clients', async (t) => {
  const srv = await startServer(t);
  const old = await connectClient(t, srv.port, { protocolVersion: 4 });
  const modern = await connectClient(t, srv.port, v5);
  await old.client.subscribeAsync('cross/t', { qos: 1 });
  await modern.client.subscribeAsync('cross/t', { qos: 1 });
  const properties = { contentType: 'text/plain', userProperties: { k: 'v' } };
  await modern.client.publishAsync('cross/t', 'from v5', { qos: 1, properties });
  await old.client.publishAsync('cross/t', 'from 3.1.1', { qos: 1 });
  assert.deepEqual(payloads(await old.inbox.take(2)), ['from v5', 'from 3.1.1']);
  const [fromV5, fromV4] = await modern.inbox.take(2);
  assert.equal(fromV5?.packet.properties?.contentType, 'text/plain');
  assert.equal(fromV4?.payload.toString(), 'from 3.1.1');
  assert.equal(fromV4?.packet.properties?.contentType, undefined);
  assert.equal(fromV4?.packet.properties?.userProperties, undefined);
});
