import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connackCode, connectClient, subscribeCodes, unsubscribePacket } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { clearRetained, nosubscribeTopic, startInteropServer, topics, wildtopics } from './paho-fixture.js';

const v4 = { protocolVersion: 4 } as const;

// Mirrors the Eclipse Paho interoperability client_test.py (MQTT 3.1.1) against one shared server,
// in its order, so state left by one step is visible to the next like in the real run.
test('paho interoperability client_test.py (MQTT 3.1.1)', async (t) => {
  const srv = await startInteropServer(t);
  const port = srv.port;

  await t.test('basic', async (st) => {
    const a = await connectClient(st, port, { ...v4, clientId: 'myclientid' });
    await a.client.subscribeAsync(topics[0], { qos: 2 });
    for (const qos of [0, 1, 2] as const) await a.client.publishAsync(topics[0], `qos ${qos}`, { qos });
    assert.equal((await a.inbox.take(3)).length, 3);
    await a.client.endAsync();
  });

  await t.test('retained messages', async (st) => {
    const a = await connectClient(st, port, { ...v4, clientId: 'myclientid' });
    await a.client.publishAsync(topics[1], 'qos 0', { qos: 0, retain: true });
    await a.client.publishAsync(topics[2], 'qos 1', { qos: 1, retain: true });
    await a.client.publishAsync(topics[3], 'qos 2', { qos: 2, retain: true });
    await a.client.subscribeAsync(wildtopics[5], { qos: 2 });
    const got = await a.inbox.take(3);
    assert.deepEqual(got.map((m) => m.packet.qos).sort(), [0, 1, 2]);
    assert.ok(got.every((m) => m.packet.retain));
    await clearRetained(a.client, [topics[1], topics[2], topics[3]]);
    await a.client.endAsync();
    const check = await connectClient(st, port, v4);
    await check.client.subscribeAsync('#', { qos: 0 });
    assert.deepEqual(await untilMarker(check.client, check), [], 'retained cleared');
  });

  await t.test('offline message queueing', async (st) => {
    const offline = await connectClient(st, port, { ...v4, clientId: 'myclientid', clean: false });
    await offline.client.subscribeAsync(wildtopics[5], { qos: 2 });
    await offline.client.endAsync();
    const b = await connectClient(st, port, { ...v4, clientId: 'myclientid2' });
    await b.client.publishAsync(topics[1], 'qos 0', { qos: 0 });
    await b.client.publishAsync(topics[2], 'qos 1', { qos: 1 });
    await b.client.publishAsync(topics[3], 'qos 2', { qos: 2 });
    const back = await connectClient(st, port, { ...v4, clientId: 'myclientid', clean: false });
    const got = await untilMarker(b.client, back);
    assert.ok(got.length === 2 || got.length === 3, `${got.length} messages`);
    await back.client.endAsync();
    await connectClient(st, port, { ...v4, clientId: 'myclientid', clean: true }).then((c) =>
      c.client.endAsync(),
    );
  });

  await t.test('will message', async (st) => {
    const b = await connectClient(st, port, { ...v4, clientId: 'myclientid2' });
    await b.client.subscribeAsync(topics[2], { qos: 2 });
    const a = await connectClient(st, port, {
      ...v4,
      clientId: 'myclientid',
      keepalive: 2,
      will: { topic: topics[2], payload: Buffer.from('client not disconnected'), qos: 0, retain: false },
    });
    a.client.end(true);
    const got = await b.inbox.next(5000);
    assert.equal(got.payload.toString(), 'client not disconnected');
    await b.client.endAsync();
  });

  await t.test('zero length clientid', async (st) => {
    const raw = await RawClient.open(st, port);
    raw.sendRaw('10 0c 00 04 4d 51 54 54 04 00 00 3c 00 00'); // clean session 0, empty id
    const closed = await raw.expectClosed();
    assert.equal(closed.packets[0]?.cmd === 'connack' ? connackCode(closed.packets[0]) : -1, 2);
    const ok = await RawClient.open(st, port);
    assert.equal(connackCode(await ok.handshake({ clientId: '', clean: true })), 0);
  });

  await t.test('overlapping subscriptions', async (st) => {
    const a = await connectClient(st, port, { ...v4, clientId: 'myclientid' });
    await a.client.subscribeAsync({ [wildtopics[6]]: { qos: 2 }, [wildtopics[0]]: { qos: 1 } });
    await a.client.publishAsync(topics[3], 'overlapping topic filters', { qos: 2 });
    const got = (await untilMarker(a.client, a)).filter((m) => m.topic === topics[3]);
    assert.ok(
      (got.length === 1 && got[0]?.packet.qos === 2) ||
        (got.length === 2 &&
          got
            .map((m) => m.packet.qos)
            .sort()
            .join() === '1,2'),
      `got ${got.map((m) => m.packet.qos)}`,
    );
    await a.client.endAsync();
  });

  await t.test('keepalive', async (st) => {
    const b = await connectClient(st, port, { ...v4, clientId: 'myclientid2' });
    await b.client.subscribeAsync(topics[4], { qos: 2 });
    await RawClient.connected(st, port, {
      clientId: 'myclientid',
      keepalive: 1,
      will: { topic: topics[4], payload: Buffer.from('keepalive expiry'), qos: 0, retain: false },
    });
    assert.equal((await b.inbox.next(5000)).payload.toString(), 'keepalive expiry');
    await b.client.endAsync();
  });

  await t.test('redelivery on reconnect', async (st) => {
    const connect = { clientId: 'myclientid', clean: false } as const;
    const { raw } = await RawClient.connected(st, port, connect);
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: wildtopics[6], qos: 2 }] });
    await raw.expect('suback');
    const pub = await connectClient(st, port, v4);
    await pub.client.publishAsync(topics[1], '', { qos: 1 });
    await pub.client.publishAsync(topics[3], '', { qos: 2 });
    await raw.expect('publish');
    await raw.expect('publish');
    raw.send({ cmd: 'disconnect' });
    await raw.closed;
    const again = await RawClient.connected(st, port, connect);
    const redelivered = [await again.raw.expect('publish'), await again.raw.expect('publish')];
    assert.deepEqual(redelivered.map((p) => p.topic).sort(), [topics[1], topics[3]].sort());
    assert.ok(redelivered.every((p) => p.dup));
    for (const p of redelivered)
      again.raw.send({ cmd: p.qos === 1 ? 'puback' : 'pubrec', messageId: p.messageId });
    again.raw.send({ cmd: 'disconnect' });
  });

  await t.test('subscribe failure', async (st) => {
    const a = await connectClient(st, port, v4);
    assert.deepEqual(await subscribeCodes(a.client, nosubscribeTopic, { qos: 2 }), [0x80]);
  });

  await t.test('$ topics', async (st) => {
    const b = await connectClient(st, port, v4);
    await b.client.subscribeAsync(wildtopics[5], { qos: 2 });
    await b.client.publishAsync(`$${topics[1]}`, '', { qos: 1 });
    assert.deepEqual(
      (await untilMarker(b.client, b)).filter((m) => m.topic.startsWith('$')),
      [],
    );
  });

  await t.test('unsubscribe', async (st) => {
    const b = await connectClient(st, port, v4);
    await b.client.subscribeAsync([topics[0], topics[1], topics[2]], { qos: 2 });
    await unsubscribePacket(b.client, topics[0]);
    const a = await connectClient(st, port, v4);
    for (const [i, topic] of [topics[0], topics[1], topics[2]].entries()) {
      await a.client.publishAsync(topic, `topic ${i}`, { qos: 1 });
    }
    assert.deepEqual(payloads(await untilMarker(a.client, b)), ['topic 1', 'topic 2']);
  });
});
