import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connected, createHarness, type Harness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

async function retainedOn(h: Harness, topic: string, payload: string): Promise<void> {
  const pub = await connected(h, { clientId: `retainer-${topic}` });
  await pub.publish(topic, payload, { qos: 1, retain: true });
}

describe('subscriptions (unit)', () => {
  test('[MQTT-3.3.4-2/3/5 v5] overlapping subscriptions: one PUBLISH, highest QoS, every subscription id', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', protocolVersion: 5 });
    await sub.subscribe([{ topic: 'a/+', qos: 0 }], { subscriptionId: 1, messageId: 1 });
    await sub.subscribe([{ topic: 'a/#', qos: 1 }], { subscriptionId: 2, messageId: 2 });
    await sub.subscribe([{ topic: 'a/b', qos: 0 }], { messageId: 3 }); // no id
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('a/b', 'x', { qos: 2 });
    const got = sub.takePublishes();
    assert.equal(got.length, 1);
    assert.equal(got[0]?.qos, 1);
    const ids = got[0]?.properties?.subscriptionIdentifier;
    assert.deepEqual([ids].flat().sort(), [1, 2]);
  });

  test('[MQTT-3.8.4-3] re-subscribing replaces the subscription (QoS and id) and keeps one delivery', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', protocolVersion: 5 });
    await sub.subscribe([{ topic: 'r', qos: 0 }], { subscriptionId: 1 });
    await sub.subscribe([{ topic: 'r', qos: 2 }], { subscriptionId: 9 });
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('r', 'x', { qos: 2 });
    const got = sub.takePublishes();
    assert.deepEqual(
      got.map((p) => [p.qos, p.properties?.subscriptionIdentifier]),
      [[2, 9]],
    );
  });

  test('[MQTT-4.8.2-2 v5] shared subscription: round robin between two members', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const m1 = await connected(h, { clientId: 'm1', protocolVersion: 5 });
    const m2 = await connected(h, { clientId: 'm2', protocolVersion: 5 });
    await m1.subscribe([{ topic: '$share/g/jobs', qos: 1 }]);
    await m2.subscribe([{ topic: '$share/g/jobs', qos: 1 }]);
    const pub = await connected(h, { clientId: 'pub' });
    for (const [i, payload] of ['j1', 'j2', 'j3', 'j4'].entries()) {
      await pub.publish('jobs', payload, { qos: 1, messageId: i + 1 });
    }
    const a = payloadsOf(m1.take());
    const b = payloadsOf(m2.take());
    assert.equal(a.length, 2);
    assert.equal(b.length, 2);
    assert.deepEqual([...a, ...b].sort(), ['j1', 'j2', 'j3', 'j4']);
    assert.notDeepEqual(a, b);
  });

  test('[MQTT-4.8.2-2 v5] shared subscription: an offline member is skipped while another is online', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const m1 = await connected(h, {
      clientId: 'm1',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const m2 = await connected(h, { clientId: 'm2', protocolVersion: 5 });
    await m1.subscribe([{ topic: '$share/g/jobs', qos: 1 }]);
    await m2.subscribe([{ topic: '$share/g/jobs', qos: 1 }]);
    await m1.send({ cmd: 'disconnect' });
    const pub = await connected(h, { clientId: 'pub' });
    for (const id of [1, 2, 3]) await pub.publish('jobs', `j${id}`, { qos: 1, messageId: id });
    assert.deepEqual(payloadsOf(m2.take()), ['j1', 'j2', 'j3']);
  });

  test('[MQTT-4.8.2 v5] shared and non-shared subscriptions of one client each get a copy', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.subscribe([
      { topic: '$share/g/t', qos: 1 },
      { topic: 't', qos: 1 },
    ]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('t', 'x', { qos: 1 });
    assert.equal(c.takePublishes().length, 2);
  });

  test('[MQTT-3.8.3-3 v5] No Local: own messages are not delivered; others are', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'self', protocolVersion: 5 });
    await c.subscribe([{ topic: 'chat', qos: 1, nl: true }]);
    await c.publish('chat', 'mine', { qos: 1 });
    assert.deepEqual(
      c.take().map((p) => p.cmd),
      ['puback'],
    );
    const other = await connected(h, { clientId: 'other' });
    await other.publish('chat', 'theirs');
    assert.deepEqual(payloadsOf(c.take()), ['theirs']);
  });

  test('[MQTT-3.8.3-4 v5] No Local on a shared subscription is a protocol error', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: '$share/g/t', qos: 0, nl: true }],
    });
    assert.equal(ofType(c.take(), 'disconnect')[0]?.reasonCode, ReasonCode.ProtocolError);
  });

  for (const rap of [true, false]) {
    test(`[MQTT-3.3.1-12/13 v5] Retain As Published ${rap ? '1 keeps' : '0 clears'} RETAIN on live delivery`, async (t) => {
      const h = createHarness();
      t.after(() => h.broker.close());
      const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
      await c.subscribe([{ topic: 'rap', qos: 1, rap }]);
      const pub = await connected(h, { clientId: 'pub' });
      await pub.publish('rap', 'x', { qos: 1, retain: true });
      assert.deepEqual(
        c.takePublishes().map((p) => p.retain),
        [rap],
      );
    });
  }

  test('[MQTT-3.3.1-12 3.1.1] live deliveries to 3.1.1 subscribers have RETAIN 0', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c' });
    await c.subscribe('live');
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('live', 'x', { qos: 1, retain: true });
    assert.deepEqual(
      c.takePublishes().map((p) => p.retain),
      [false],
    );
  });

  test('[MQTT-3.3.1-9/10/11 v5] Retain Handling 0, 1, 2 on first subscribe and on re-subscribe', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await retainedOn(h, 'rh', 'kept');
    const counts: number[][] = [];
    for (const rh of [0, 1, 2] as const) {
      const c = await connected(h, { clientId: `rh${rh}`, protocolVersion: 5 });
      await c.subscribe([{ topic: 'rh', qos: 1, rh }], { messageId: 1 });
      const first = c.takePublishes();
      await c.subscribe([{ topic: 'rh', qos: 1, rh }], { messageId: 2 });
      const second = c.takePublishes();
      counts.push([first.length, second.length]);
      for (const p of [...first, ...second]) assert.equal(p.retain, true, '[MQTT-3.3.1-8] RETAIN 1');
    }
    assert.deepEqual(counts, [
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
  });

  test('[MQTT-3.3.1-6/8] retained messages follow the SUBACK with RETAIN 1 at the granted QoS', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await retainedOn(h, 'r/1', 'one');
    await retainedOn(h, 'r/2', 'two');
    const c = await connected(h, { clientId: 'c' });
    await c.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'r/+', qos: 0 }] });
    const packets = c.take();
    assert.equal(packets[0]?.cmd, 'suback', 'SUBACK first');
    const publishes = ofType(packets, 'publish');
    assert.deepEqual(publishes.map((p) => [p.payload.toString(), p.qos, p.retain]).sort(), [
      ['one', 0, true],
      ['two', 0, true],
    ]);
  });

  test('[MQTT-3.3.1-10/11] an empty retained payload clears the retained message', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await retainedOn(h, 'clr', 'old');
    await retainedOn(h, 'clr', '');
    const c = await connected(h, { clientId: 'c' });
    await c.subscribe('clr');
    assert.deepEqual(c.take(), []);
    assert.equal(h.broker.retained.size, 0);
  });

  test('[MQTT-4.8.2 v5] a new shared subscription gets no retained messages', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await retainedOn(h, 'sr', 'r');
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.subscribe([{ topic: '$share/g/sr', qos: 1 }]);
    assert.deepEqual(c.take(), []);
  });

  test('[MQTT-3.9.3 / 3.8.4-6] SUBACK: one code per filter in order; invalid filter 0x8F (v5) / 0x80 (3.1.1)', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const filters = [
      { topic: 'ok/+', qos: 2 as const },
      { topic: 'bad/#/x', qos: 1 as const },
      { topic: 'fine', qos: 0 as const },
    ];
    const v5 = await connected(h, { clientId: 'v5', protocolVersion: 5 });
    assert.deepEqual(await v5.subscribe(filters), [2, ReasonCode.TopicFilterInvalid, 0]);
    const v4 = await connected(h, { clientId: 'v4' });
    assert.deepEqual(await v4.subscribe(filters), [2, 0x80, 0]);
  });

  test('[limits.maxSubscriptionsPerSession] subscriptions over the quota get 0x97', async (t) => {
    const h = createHarness({ limits: { maxSubscriptionsPerSession: 1 } });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    assert.deepEqual(
      await c.subscribe([
        { topic: 'a', qos: 0 },
        { topic: 'b', qos: 0 },
        { topic: 'a', qos: 1 },
      ]),
      [0, ReasonCode.QuotaExceeded, 1],
    );
  });
});
