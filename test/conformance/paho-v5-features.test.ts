import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, serverClose, subscriptionIds } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { quietPeriod, stopwatch } from '../helpers/wait.js';
import { startInteropServer, topics } from './paho-fixture.js';

const v5 = { protocolVersion: 5 } as const;

// Mirrors the MQTT 5 feature tests of the Eclipse Paho interoperability suite (client_test5.py).
test('paho interoperability client_test5.py: features (MQTT 5)', async (t) => {
  const srv = await startInteropServer(t);
  const port = srv.port;

  await t.test('user properties and payload format', async (st) => {
    const u = await connectClient(st, port, { ...v5, clientId: 'user properties' });
    await u.client.subscribeAsync(topics[0], { qos: 2 });
    const properties = {
      userProperties: { a: '2', c: '3' },
      payloadFormatIndicator: true,
      contentType: 'My name',
    };
    for (const qos of [0, 1, 2] as const) await u.client.publishAsync(topics[0], '', { qos, properties });
    const got = await u.inbox.take(3);
    assert.deepEqual(got.map((m) => m.packet.qos).sort(), [0, 1, 2]);
    for (const m of got) {
      assert.deepEqual({ ...m.packet.properties?.userProperties }, { a: '2', c: '3' });
      assert.equal(m.packet.properties?.contentType, 'My name');
      assert.equal(m.packet.properties?.payloadFormatIndicator, true);
    }
    await u.client.endAsync();
  });

  await t.test('message expiry', async (st) => {
    const opts = { ...v5, clientId: 'message expiry b', properties: { sessionExpiryInterval: 99999 } };
    const b = await connectClient(st, port, opts);
    await b.client.subscribeAsync(topics[0], { qos: 2 });
    await b.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 999999999 } });
    const a = await connectClient(st, port, { ...v5, clientId: 'message expiry a' });
    for (const qos of [1, 2] as const) {
      await a.client.publishAsync(topics[0], `qos ${qos} - expire`, {
        qos,
        properties: { messageExpiryInterval: 1 },
      });
      await a.client.publishAsync(topics[0], `qos ${qos} - keep`, {
        qos,
        properties: { messageExpiryInterval: 6 },
      });
    }
    await quietPeriod(1600);
    const back = await connectClient(st, port, { ...opts, clean: false });
    const got = (await untilMarker(a.client, back)).filter((m) => m.topic === topics[0]);
    assert.deepEqual(payloads(got).sort(), ['qos 1 - keep', 'qos 2 - keep']);
    for (const m of got) assert.ok((m.packet.properties?.messageExpiryInterval ?? 99) < 6);
    await back.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  });

  await t.test('subscription identifiers', async (st) => {
    const a = await connectClient(st, port, { ...v5, clientId: 'subscription identifiers a' });
    await a.client.subscribeAsync(topics[0], { qos: 2, properties: { subscriptionIdentifier: 456789 } });
    const b = await connectClient(st, port, { ...v5, clientId: 'subscription identifiers b' });
    await b.client.subscribeAsync(topics[0], { qos: 2, properties: { subscriptionIdentifier: 2 } });
    await b.client.subscribeAsync(`${topics[0]}/#`, { qos: 2, properties: { subscriptionIdentifier: 3 } });
    await b.client.publishAsync(topics[0], 'sub identifier test', { qos: 1 });
    assert.deepEqual(subscriptionIds((await a.inbox.next()).packet), [456789]);
    const mine = (await untilMarker(b.client, b)).filter((m) => m.topic === topics[0]);
    assert.deepEqual(mine.flatMap((m) => subscriptionIds(m.packet)).sort(), [2, 3]);
  });

  await t.test('client topic alias', async (st) => {
    const opts = { ...v5, clientId: 'client topic alias', properties: { sessionExpiryInterval: 99999 } };
    const connect = (clean: boolean) =>
      RawClient.connected(st, port, { ...opts, clean, properties: opts.properties });
    const first = await connect(true);
    assert.ok((first.connack.properties?.topicAliasMaximum ?? 0) > 0, 'the server accepts topic aliases');
    first.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics[0], qos: 2 }] });
    await first.raw.expect('suback');
    const base = { cmd: 'publish', qos: 1, dup: false, retain: false } as const;
    first.raw.send({
      ...base,
      topic: topics[0],
      messageId: 2,
      payload: 'topic alias 1',
      properties: { topicAlias: 1 },
    });
    first.raw.send({
      ...base,
      topic: '',
      messageId: 3,
      payload: 'topic alias 2',
      properties: { topicAlias: 1 },
    });
    const echoed = [(await first.raw.waitFor('publish')).topic, (await first.raw.waitFor('publish')).topic];
    assert.deepEqual(echoed, [topics[0], topics[0]]);
    first.raw.send({ cmd: 'disconnect' });
    await first.raw.closed;
    const second = await connect(false);
    second.raw.send({
      ...base,
      topic: '',
      messageId: 4,
      payload: 'topic alias 4',
      properties: { topicAlias: 1 },
    });
    const closed = await second.raw.expectClosed();
    assert.ok(closed.disconnect, 'DISCONNECT for the stale alias');
  });

  await t.test('server topic alias', async (st) => {
    const a = await RawClient.connected(st, port, {
      ...v5,
      clientId: 'server topic alias',
      properties: { topicAliasMaximum: 1 },
    });
    a.raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics[0], qos: 0 }] });
    await a.raw.expect('suback');
    const pub = await connectClient(st, port, v5);
    for (let i = 0; i < 3; i += 1) await pub.client.publishAsync(topics[0], 'topic alias 1', { qos: 0 });
    const got = [await a.raw.expect('publish'), await a.raw.expect('publish'), await a.raw.expect('publish')];
    const alias = got[0]?.properties?.topicAlias ?? 0;
    assert.ok(alias > 0, 'first message sets an alias');
    assert.equal(got[0]?.topic, topics[0]);
    for (const p of got.slice(1)) {
      assert.equal(p.properties?.topicAlias, alias);
      assert.equal(p.topic, '');
    }
  });

  await t.test('maximum packet size', async (st) => {
    const c = await connectClient(st, port, {
      ...v5,
      clientId: 'maximum packet size',
      properties: { maximumPacketSize: 64 },
    });
    await c.client.subscribeAsync(topics[0], { qos: 2 });
    await c.client.publishAsync(topics[0], '.'.repeat(32), { qos: 0 });
    await c.client.publishAsync(topics[0], '.'.repeat(64), { qos: 1 });
    const got = (await untilMarker(c.client, c)).filter((m) => m.topic === topics[0]);
    assert.equal(got.length, 1);
    assert.deepEqual(c.errors, []);
  });

  await t.test('will delay', async (st) => {
    const b = await connectClient(st, port, { ...v5, clientId: 'will delay b' });
    await b.client.subscribeAsync(topics[0], { qos: 2 });
    const a = await connectClient(st, port, {
      ...v5,
      clientId: 'will delay a',
      properties: { sessionExpiryInterval: 2 },
      will: {
        topic: topics[0],
        payload: Buffer.from('test_will_delay will message'),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    const elapsed = stopwatch();
    a.client.end(true);
    assert.equal((await b.inbox.next(4000)).payload.toString(), 'test_will_delay will message');
    assert.ok(elapsed() >= 900 && elapsed() < 2500, `${Math.round(elapsed())} ms`);
  });

  await t.test('shared subscriptions', async (st) => {
    const shared = '$share/sharename/paho.mqtt.client.mqttv5/x';
    const a = await connectClient(st, port, { ...v5, clientId: 'shared subscriptions a' });
    const b = await connectClient(st, port, { ...v5, clientId: 'shared subscriptions b' });
    await a.client.subscribeAsync({ [shared]: { qos: 2 }, [topics[0]]: { qos: 2 } });
    await b.client.subscribeAsync({ [shared]: { qos: 2 }, [topics[0]]: { qos: 2 } });
    await b.client.publishAsync(topics[0], 'message 0', { qos: 0 });
    await b.client.publishAsync('paho.mqtt.client.mqttv5/x', 'shared 0', { qos: 0 });
    const gotA = await untilMarker(b.client, a);
    const gotB = await untilMarker(b.client, b);
    assert.equal(gotA.filter((m) => m.topic === topics[0]).length, 1);
    assert.equal(gotB.filter((m) => m.topic === topics[0]).length, 1);
    const sharedCount = [...gotA, ...gotB].filter((m) => m.topic === 'paho.mqtt.client.mqttv5/x').length;
    assert.equal(sharedCount, 1, 'each shared message received once');
  });

  await t.test('server shutdown reaches v5 clients as DISCONNECT 0x8B', async (st) => {
    const c = await connectClient(st, port, v5);
    const closing = serverClose(c.client);
    await srv.close();
    assert.equal((await closing).disconnect?.reasonCode, 0x8b);
  });
});
