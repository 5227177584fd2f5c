import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connected, createHarness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

describe('topic aliases (unit)', () => {
  test('[MQTT-3.3.2-12 v5] inbound: an alias set with a topic resolves a later empty topic', async (t) => {
    const h = createHarness({ limits: { topicAliasMaximum: 4 } });
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe('alias/+');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('alias/a', 'first', { properties: { topicAlias: 1 } });
    await pub.publish('', 'second', { properties: { topicAlias: 1 } });
    await pub.publish('alias/b', 'third', { properties: { topicAlias: 1 } }); // redefined
    await pub.publish('', 'fourth', { properties: { topicAlias: 1 } });
    const got = sub.takePublishes();
    assert.deepEqual(
      got.map((p) => [p.topic, p.payload.toString()]),
      [
        ['alias/a', 'first'],
        ['alias/a', 'second'],
        ['alias/b', 'third'],
        ['alias/b', 'fourth'],
      ],
    );
  });

  test('[MQTT-3.3.2-9 v5] inbound alias above our Topic Alias Maximum → DISCONNECT 0x94', async (t) => {
    const h = createHarness({ limits: { topicAliasMaximum: 2 } });
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('x', 'y', { properties: { topicAlias: 3 } });
    assert.equal(ofType(pub.take(), 'disconnect')[0]?.reasonCode, ReasonCode.TopicAliasInvalid);
    assert.ok(pub.sink.ended);
  });

  test('[§3.3.2.3.4 v5] an empty topic with an unknown alias is a protocol error (0x82)', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('', 'y', { properties: { topicAlias: 1 } });
    assert.equal(ofType(pub.take(), 'disconnect')[0]?.reasonCode, ReasonCode.ProtocolError);
  });

  test('[MQTT-3.3.2-14 v5] inbound aliases do not survive the connection', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const first = await connected(h, {
      clientId: 'pub',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    await first.publish('t', 'x', { properties: { topicAlias: 1 } });
    await first.send({ cmd: 'disconnect' });
    const second = await connected(h, {
      clientId: 'pub',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    await second.publish('', 'y', { properties: { topicAlias: 1 } });
    assert.equal(ofType(second.take(), 'disconnect')[0]?.reasonCode, ReasonCode.ProtocolError);
  });

  test('[MQTT-3.3.2-10/11 v5] outbound: aliases up to the client maximum, topic sent once per alias', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, {
      clientId: 'sub',
      protocolVersion: 5,
      properties: { topicAliasMaximum: 2 },
    });
    await sub.subscribe([{ topic: 'o/#', qos: 0 }]);
    const pub = await connected(h, { clientId: 'pub' });
    for (const topic of ['o/x', 'o/x', 'o/y', 'o/z', 'o/y']) await pub.publish(topic, topic);
    const got = sub.takePublishes().map((p) => [p.topic, p.properties?.topicAlias, p.payload.toString()]);
    assert.deepEqual(got, [
      ['o/x', 1, 'o/x'],
      ['', 1, 'o/x'],
      ['o/y', 2, 'o/y'],
      ['o/z', undefined, 'o/z'],
      ['', 2, 'o/y'],
    ]);
  });

  test('[MQTT-3.3.2-10 v5] no outbound alias for a client that allows none, nor for 3.1.1', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const v5 = await connected(h, { clientId: 'v5', protocolVersion: 5 });
    const v4 = await connected(h, { clientId: 'v4' });
    await v5.subscribe('n');
    await v4.subscribe('n');
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('n', '1');
    await pub.publish('n', '2');
    for (const c of [v5, v4]) {
      assert.deepEqual(
        c.takePublishes().map((p) => [p.topic, p.properties?.topicAlias]),
        [
          ['n', undefined],
          ['n', undefined],
        ],
      );
    }
  });

  test('[MQTT-3.3.2-17/18 v5] the inbound Topic Alias is not forwarded to subscribers', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', protocolVersion: 5 });
    await sub.subscribe('fwd');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('fwd', 'x', {
      properties: { topicAlias: 5, contentType: 'text/plain', userProperties: { k: 'v' } },
    });
    const [p] = sub.takePublishes();
    assert.equal(p?.properties?.topicAlias, undefined);
    assert.equal(p?.properties?.contentType, 'text/plain');
    assert.deepEqual({ ...p?.properties?.userProperties }, { k: 'v' });
  });
});

describe('client Maximum Packet Size (unit)', () => {
  test('[MQTT-3.1.2-25 v5] a PUBLISH over the client maximum is not sent, counted, treated as delivered', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, {
      clientId: 'small',
      protocolVersion: 5,
      properties: { maximumPacketSize: 64, topicAliasMaximum: 4 },
    });
    await sub.subscribe([{ topic: 'big', qos: 1 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('big', Buffer.alloc(200, 1), { qos: 1 });
    assert.deepEqual(sub.take(), []);
    assert.equal(h.metrics.droppedTooLarge, 1);
    assert.equal(sub.channel.session?.inflight.size, 0, 'not left in flight');
    await pub.publish('big', 'small', { qos: 1, messageId: 2 });
    const [p] = sub.takePublishes();
    assert.equal(p?.payload.toString(), 'small');
    assert.equal(p?.topic, 'big', 'the alias of the skipped message was not consumed');
    assert.equal(p?.properties?.topicAlias, 1);
  });

  test('[MQTT-3.1.2-25 v5] QoS 0 over the maximum is skipped too; later messages still flow', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, {
      clientId: 'small',
      protocolVersion: 5,
      properties: { maximumPacketSize: 64 },
    });
    await sub.subscribe([{ topic: 'big', qos: 0 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('big', Buffer.alloc(100));
    await pub.publish('big', 'ok');
    assert.deepEqual(payloadsOf(sub.take()), ['ok']);
    assert.equal(h.metrics.droppedTooLarge, 1);
  });
});
