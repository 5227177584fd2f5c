import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, subscribeCodes, unsubscribePacket } from '../helpers/mqtt-client.js';
import { connectBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { quietPeriod } from '../helpers/wait.js';
import { clearRetained, nosubscribeTopic, startInteropServer, topics, wildtopics } from './paho-fixture.js';

const v5 = { protocolVersion: 5 } as const;

// Mirrors the first half of the Eclipse Paho MQTT 5 interoperability tests (client_test5.py),
// sharing one server like the real run; timers are shortened (1 s where paho uses 5 s).
test('paho interoperability client_test5.py: core (MQTT 5)', async (t) => {
  const srv = await startInteropServer(t);
  const port = srv.port;

  await t.test('basic', async (st) => {
    const a = await connectClient(st, port, { ...v5, clientId: 'aclient' });
    assert.equal(a.connack.reasonCode, 0);
    assert.deepEqual(await subscribeCodes(a.client, topics[0], { qos: 2 }), [2]);
    for (const qos of [0, 1, 2] as const) await a.client.publishAsync(topics[0], `qos ${qos}`, { qos });
    assert.equal((await a.inbox.take(3)).length, 3);
    await a.client.endAsync();
  });

  await t.test('retained message', async (st) => {
    const a = await connectClient(st, port, { ...v5, clientId: 'aclient' });
    const properties = { userProperties: { a: '2', c: '3' } };
    await a.client.publishAsync(topics[1], 'qos 0', { qos: 0, retain: true, properties });
    await a.client.publishAsync(topics[2], 'qos 1', { qos: 1, retain: true, properties });
    await a.client.publishAsync(topics[3], 'qos 2', { qos: 2, retain: true, properties });
    assert.deepEqual(await subscribeCodes(a.client, wildtopics[5], { qos: 2 }), [2]);
    const got = await a.inbox.take(3);
    assert.deepEqual(got.map((m) => m.packet.qos).sort(), [0, 1, 2]);
    for (const m of got) assert.deepEqual({ ...m.packet.properties?.userProperties }, { a: '2', c: '3' });
    await clearRetained(a.client, [topics[1], topics[2], topics[3]]);
    await a.client.endAsync();
  });

  await t.test('will message', async (st) => {
    const b = await connectClient(st, port, { ...v5, clientId: 'bclient' });
    await b.client.subscribeAsync(topics[2], { qos: 2 });
    const properties = { willDelayInterval: 0, userProperties: { a: '2', c: '3' } };
    await RawClient.connected(st, port, {
      protocolVersion: 5,
      clientId: 'aclient',
      keepalive: 1,
      will: { topic: topics[2], payload: Buffer.from('will message'), qos: 0, retain: false, properties },
    });
    const got = await b.inbox.next(5000);
    assert.deepEqual({ ...got.packet.properties?.userProperties }, { a: '2', c: '3' });
    await b.client.endAsync();
  });

  await t.test('zero length clientid', async (st) => {
    const raw = await RawClient.open(st, port);
    raw.version = 5;
    raw.sendRaw(connectBytes({ level: 5, flags: 0x00, clientId: '' }));
    const first = await raw.expect('connack');
    assert.equal(first.reasonCode, 0);
    assert.ok((first.properties?.assignedClientIdentifier ?? '').length > 0);
    const second = await connectClient(st, port, { ...v5, clientId: '' });
    assert.ok((second.connack.properties?.assignedClientIdentifier ?? '').length > 0);
    const named = await connectClient(st, port, { ...v5, clientId: 'client0' });
    assert.equal(named.connack.properties?.assignedClientIdentifier, undefined);
  });

  await t.test('offline message queueing', async (st) => {
    const opts = {
      ...v5,
      clientId: 'offline message queueing',
      properties: { sessionExpiryInterval: 99999 },
    };
    const o = await connectClient(st, port, opts);
    await o.client.subscribeAsync(wildtopics[5], { qos: 2 });
    await o.client.endAsync();
    const b = await connectClient(st, port, { ...v5, clientId: 'bclient' });
    await b.client.publishAsync(topics[1], 'qos 0', { qos: 0 });
    await b.client.publishAsync(topics[2], 'qos 1', { qos: 1 });
    await b.client.publishAsync(topics[3], 'qos 2', { qos: 2 });
    const back = await connectClient(st, port, { ...opts, clean: false });
    const got = await untilMarker(b.client, back);
    assert.ok(got.length === 2 || got.length === 3, `${got.length} messages`);
    await back.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  });

  await t.test('overlapping subscriptions', async (st) => {
    const o = await connectClient(st, port, { ...v5, clientId: 'overlapping subscriptions' });
    await o.client.subscribeAsync({ [wildtopics[6]]: { qos: 2 }, [wildtopics[0]]: { qos: 1 } });
    await o.client.publishAsync(topics[3], 'overlapping topic filters', { qos: 2 });
    const got = (await untilMarker(o.client, o)).filter((m) => m.topic === topics[3]);
    const qos = got.map((m) => m.packet.qos).sort();
    assert.ok((got.length === 1 && qos[0] === 2) || qos.join() === '1,2', `got QoS ${qos}`);
  });

  await t.test('subscribe failure', async (st) => {
    const o = await connectClient(st, port, { ...v5, clientId: 'subscribe failure' });
    const [code] = await subscribeCodes(o.client, nosubscribeTopic, { qos: 2 });
    // paho's test_subscribe_failure asserts 0x80 (Unspecified error) for a refused filter.
    assert.equal(code, 0x80, `0x${code?.toString(16)}`);
  });

  await t.test('unsubscribe', async (st) => {
    const b = await connectClient(st, port, { ...v5, clientId: 'bclient' });
    for (const topic of [topics[0], topics[1], topics[2]]) await b.client.subscribeAsync(topic, { qos: 2 });
    await unsubscribePacket(b.client, topics[0]);
    const a = await connectClient(st, port, { ...v5, clientId: 'aclient' });
    await a.client.publishAsync(topics[0], 'topic 0 - unsubscribed', { qos: 1 });
    await a.client.publishAsync(topics[1], 'topic 1', { qos: 1 });
    await a.client.publishAsync(topics[2], 'topic 2', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(a.client, b)), ['topic 1', 'topic 2']);
  });

  await t.test('session expiry', async (st) => {
    const id = 'session expiry';
    const connect = async (sessionExpiryInterval: number, clean: boolean) =>
      connectClient(st, port, { ...v5, clientId: id, clean, properties: { sessionExpiryInterval } });
    let e = await connect(0, true);
    await e.client.subscribeAsync(topics[0], { qos: 2 });
    await e.client.endAsync();
    e = await connect(0, false);
    assert.equal(e.connack.sessionPresent, false, 'expiry 0: gone at once');
    await e.client.endAsync();
    e = await connect(1, true);
    await e.client.subscribeAsync(topics[0], { qos: 2 });
    await e.client.endAsync();
    e = await connect(1, false);
    assert.equal(e.connack.sessionPresent, true, 'still there within the interval');
    await e.client.endAsync();
    await quietPeriod(1600);
    e = await connect(1, false);
    assert.equal(e.connack.sessionPresent, false, 'expired');
    await e.client.subscribeAsync(topics[0], { qos: 2 });
    await e.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 5 } });
    await quietPeriod(1300);
    e = await connect(1, false);
    assert.equal(e.connack.sessionPresent, true, 'DISCONNECT raised the interval to 5 s');
    await e.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    e = await connect(1, false);
    assert.equal(e.connack.sessionPresent, false, 'DISCONNECT set it to 0');
    await e.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  });
});
