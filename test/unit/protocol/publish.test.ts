import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connected, createHarness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

/** The fields of a PUBLISH a subscriber sees, for exact comparisons. */
function shape(p: {
  topic: string;
  payload: Buffer | string;
  qos: number;
  dup: boolean;
  retain: boolean;
  messageId?: number | undefined;
}) {
  return {
    topic: p.topic,
    payload: p.payload.toString(),
    qos: p.qos,
    dup: p.dup,
    retain: p.retain,
    messageId: p.messageId,
  };
}

describe('PUBLISH between two channels (unit)', () => {
  test('[MQTT-4.3.1] QoS 0: one PUBLISH without packet id, no acknowledgement to the publisher', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    assert.deepEqual(await sub.subscribe([{ topic: 'a/b', qos: 0 }]), [0]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('a/b', 'hello');
    assert.deepEqual(pub.take(), []);
    assert.deepEqual(sub.takePublishes().map(shape), [
      { topic: 'a/b', payload: 'hello', qos: 0, dup: false, retain: false, messageId: undefined },
    ]);
  });

  test('[MQTT-4.3.2-1/2] QoS 1: PUBACK to the publisher, PUBLISH with a packet id, PUBACK completes', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'a/b', qos: 1 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('a/b', 'one', { qos: 1, messageId: 42 });
    assert.deepEqual(
      pub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['puback', 42]],
    );
    const [publish] = sub.takePublishes();
    assert.ok(publish);
    assert.deepEqual(shape(publish), {
      topic: 'a/b',
      payload: 'one',
      qos: 1,
      dup: false,
      retain: false,
      messageId: 1,
    });
    assert.equal(sub.channel.session?.inflight.size, 1);
    await sub.send({ cmd: 'puback', messageId: 1 });
    assert.equal(sub.channel.session?.inflight.size, 0);
  });

  test('[MQTT-4.3.3] QoS 2: PUBREC/PUBREL/PUBCOMP on both sides, exact packets', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'q2', qos: 2 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('q2', 'exactly', { qos: 2, messageId: 7 });
    assert.deepEqual(
      pub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['pubrec', 7]],
    );
    const [publish] = sub.takePublishes();
    assert.deepEqual(publish && shape(publish), {
      topic: 'q2',
      payload: 'exactly',
      qos: 2,
      dup: false,
      retain: false,
      messageId: 1,
    });
    await pub.send({ cmd: 'pubrel', messageId: 7 });
    assert.deepEqual(
      pub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['pubcomp', 7]],
    );
    await sub.send({ cmd: 'pubrec', messageId: 1 });
    assert.deepEqual(
      sub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['pubrel', 1]],
    );
    assert.equal(sub.channel.session?.inflight.get(1)?.state, 'pubrel');
    await sub.send({ cmd: 'pubcomp', messageId: 1 });
    assert.equal(sub.channel.session?.inflight.size, 0);
  });

  test('[MQTT-4.3.3-9] a QoS 2 PUBLISH re-sent before PUBREL is acknowledged again but routed once', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'once', qos: 2 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('once', 'm', { qos: 2, messageId: 9 });
    await pub.publish('once', 'm', { qos: 2, messageId: 9, dup: true });
    assert.deepEqual(
      pub.take().map((p) => p.cmd),
      ['pubrec', 'pubrec'],
    );
    assert.equal(sub.takePublishes().length, 1, 'routed once');
    await pub.send({ cmd: 'pubrel', messageId: 9 });
    // After PUBCOMP the id is free: the same id is a new message [MQTT-4.3.3-11].
    await pub.publish('once', 'again', { qos: 2, messageId: 9 });
    assert.deepEqual(payloadsOf(sub.take()), ['again']);
  });

  test('[MQTT-3.8.4-8 v5] delivery QoS is the minimum of publish QoS and granted QoS', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'down', qos: 0 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('down', 'x', { qos: 2, messageId: 1 });
    const [publish] = sub.takePublishes();
    assert.equal(publish?.qos, 0);
    assert.equal(publish?.messageId, undefined);
  });

  test('[MQTT-3.4.2.1 v5] PUBACK 0x10 No matching subscribers; 3.1.1 gets a plain PUBACK', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const v5 = await connected(h, { clientId: 'p5', protocolVersion: 5 });
    await v5.publish('nobody', 'x', { qos: 1, messageId: 3 });
    const [ack5] = ofType(v5.take(), 'puback');
    assert.equal(ack5?.reasonCode, ReasonCode.NoMatchingSubscribers);
    const v4 = await connected(h, { clientId: 'p4' });
    await v4.publish('nobody', 'x', { qos: 1, messageId: 3 });
    assert.deepEqual(
      v4.take().map((p) => p.cmd),
      ['puback'],
    );
  });

  test('[MQTT-4.9.0-2] outbound receive window: Receive Maximum 2 holds the third message until a PUBACK', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, {
      clientId: 'sub',
      protocolVersion: 5,
      properties: { receiveMaximum: 2 },
    });
    await sub.subscribe([{ topic: 'w', qos: 1 }]);
    const pub = await connected(h, { clientId: 'pub' });
    for (const [i, payload] of ['m1', 'm2', 'm3'].entries()) {
      await pub.publish('w', payload, { qos: 1, messageId: i + 1 });
    }
    const first = sub.takePublishes();
    assert.deepEqual(
      first.map((p) => p.payload.toString()),
      ['m1', 'm2'],
    );
    assert.equal(sub.channel.session?.queuedCount, 1);
    await sub.send({ cmd: 'puback', messageId: first[0]!.messageId! });
    const next = sub.takePublishes();
    assert.deepEqual(
      next.map((p) => p.payload.toString()),
      ['m3'],
    );
    assert.notEqual(next[0]?.messageId, first[1]?.messageId, 'ids of in-flight messages are unique');
  });

  test('[limits.maxQueuedMessages] a full session queue drops the newest message and counts it', async (t) => {
    const h = createHarness({ limits: { maxQueuedMessages: 2 } });
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', clean: false });
    await sub.subscribe([{ topic: 'q', qos: 1 }]);
    await sub.send({ cmd: 'disconnect' });
    const pub = await connected(h, { clientId: 'pub' });
    for (const [i, payload] of ['a', 'b', 'c'].entries()) {
      await pub.publish('q', payload, { qos: 1, messageId: i + 1 });
    }
    assert.equal(h.metrics.droppedQueueFull, 1);
    const again = await connected(h, { clientId: 'sub', clean: false });
    assert.deepEqual(payloadsOf(again.take()), ['a', 'b'], 'what was accepted first is kept');
  });

  test('[limits.maxWriteBufferBytes] QoS 0 to a congested socket is dropped and counted', async (t) => {
    const h = createHarness({ limits: { maxWriteBufferBytes: 100 } });
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'slow', qos: 1 }]);
    sub.sink.buffered = 101;
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('slow', 'q0');
    await pub.publish('slow', 'q1', { qos: 1 });
    assert.equal(h.metrics.droppedSlowConsumer, 1);
    assert.deepEqual(payloadsOf(sub.take()), ['q1'], 'QoS 1 is not dropped for congestion');
  });

  test('[MQTT-3.3.4-9 v5] more unreleased inbound QoS 2 than our Receive Maximum → DISCONNECT 0x93', async (t) => {
    const h = createHarness({ limits: { receiveMaximum: 2 } });
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    for (const id of [1, 2, 3]) await pub.publish('t', 'x', { qos: 2, messageId: id });
    const packets = pub.take();
    assert.deepEqual(
      packets.map((p) => p.cmd),
      ['pubrec', 'pubrec', 'disconnect'],
    );
    assert.equal(ofType(packets, 'disconnect')[0]?.reasonCode, ReasonCode.ReceiveMaximumExceeded);
    assert.ok(pub.sink.ended);
  });

  test('[MQTT-4.6.0-5] messages from one publisher arrive in the order they were published', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'o/#', qos: 2 }]);
    const pub = await connected(h, { clientId: 'pub' });
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(`m${i}`);
      await pub.publish(`o/${i % 3}`, `m${i}`, { qos: (i % 3) as 0 | 1 | 2, messageId: i + 1 });
    }
    assert.deepEqual(payloadsOf(sub.take()), expected);
  });
});
