import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublishPacket } from '../../../src/mqtt/codec/packet.js';
import { connected, createHarness, type Harness, type TestClient } from '../../helpers/channel-harness.js';

/** A v5 persistent session with the given Receive Maximum. */
const persistent = (receiveMaximum: number) =>
  ({
    clientId: 'sub',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 600, receiveMaximum },
  }) as const;

/** Subscribes `sub` to `q` at QoS 1 and drops its connection, leaving the session offline. */
async function offlineSubscriber(h: Harness): Promise<void> {
  const sub = await connected(h, persistent(10));
  await sub.subscribe([{ topic: 'q', qos: 1 }]);
  await sub.send({ cmd: 'disconnect' });
}

/** Publishes m1..mN at QoS 1 (packet ids cycle through 1..65535). */
async function publishMany(pub: TestClient, count: number, from = 1): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await pub.publish('q', `m${i}`, { qos: 1, messageId: ((i - 1) % 65_535) + 1 });
  }
}

/** Acknowledges every PUBLISH the client holds until none arrives; returns the payloads in order. */
async function ackAll(client: TestClient): Promise<{ payloads: string[]; dup: number }> {
  const payloads: string[] = [];
  let dup = 0;
  for (let batch = client.takePublishes(); batch.length > 0; batch = client.takePublishes()) {
    for (const p of batch) {
      payloads.push(p.payload.toString());
      if (p.dup) dup++;
      await client.send({ cmd: 'puback', messageId: p.messageId! });
    }
  }
  return { payloads, dup };
}

const expected = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

describe('session queue: O(1) FIFO keeps order and its limit (unit)', () => {
  test('[MQTT-4.6.0-3] a deep offline queue is delivered completely and in publish order through a small receive window', async (t) => {
    const h = createHarness({ limits: { maxQueuedMessages: 20_000 } });
    t.after(() => h.broker.close());
    await offlineSubscriber(h);
    const pub = await connected(h, { clientId: 'pub' });
    await publishMany(pub, 20_000);
    const sub = await connected(h, persistent(7));
    assert.equal(sub.channel.session?.queuedCount, 20_000 - 7, 'the window took the first 7');
    const { payloads } = await ackAll(sub);
    assert.deepEqual(payloads, expected(1, 20_000));
    assert.equal(sub.channel.session?.queuedCount, 0);
    assert.equal(sub.channel.session?.inflight.size, 0);
    assert.equal(h.metrics.droppedQueueFull, 0);
  });

  test('limits.maxQueuedMessages: the newest messages beyond the limit are dropped and counted, the kept ones stay in order', async (t) => {
    const h = createHarness({ limits: { maxQueuedMessages: 1_000 } });
    t.after(() => h.broker.close());
    await offlineSubscriber(h);
    const pub = await connected(h, { clientId: 'pub' });
    await publishMany(pub, 1_250);
    assert.equal(h.metrics.droppedQueueFull, 250);
    const sub = await connected(h, persistent(50));
    const { payloads } = await ackAll(sub);
    assert.deepEqual(payloads, expected(1, 1_000));
  });

  test('limits.maxQueuedMessages: a queue drained below its limit accepts messages again, behind the ones still queued', async (t) => {
    const h = createHarness({ limits: { maxQueuedMessages: 100 } });
    t.after(() => h.broker.close());
    await offlineSubscriber(h);
    const pub = await connected(h, { clientId: 'pub' });
    await publishMany(pub, 100);
    const sub = await connected(h, persistent(10)); // takes m1..m10 off the queue
    assert.equal(sub.channel.session?.queuedCount, 90);
    await publishMany(pub, 15, 101); // 10 fit, 5 are dropped
    assert.equal(sub.channel.session?.queuedCount, 100);
    assert.equal(h.metrics.droppedQueueFull, 5);
    const { payloads } = await ackAll(sub);
    assert.deepEqual(payloads, expected(1, 110));
  });

  test('[MQTT-4.4.0-1] many resends waiting for the window: acks for waiting ones remove them, the rest go out in order', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const first = await connected(h, persistent(100));
    await first.subscribe([{ topic: 'q', qos: 1 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await publishMany(pub, 100);
    const sent = first.takePublishes();
    assert.equal(sent.length, 100);
    first.channel.transportClosed();
    await publishMany(pub, 20, 101); // queued behind the in-flight ones

    const sub = await connected(h, persistent(5));
    const resent: PublishPacket[] = sub.takePublishes();
    assert.deepEqual(
      resent.map((p) => [p.payload.toString(), p.dup]),
      expected(1, 5).map((m) => [m, true]),
    );
    assert.equal(sub.channel.session?.awaitingResendCount, 95);
    // The client had every even-numbered message from the previous connection: acks for ones
    // still waiting complete them without freeing a slot, so nothing new goes out.
    for (let i = 6; i <= 100; i += 2) await sub.send({ cmd: 'puback', messageId: sent[i - 1]!.messageId! });
    assert.deepEqual(sub.takePublishes(), []);
    assert.equal(sub.channel.session?.awaitingResendCount, 47);
    for (const p of resent) await sub.send({ cmd: 'puback', messageId: p.messageId! });
    const { payloads, dup } = await ackAll(sub);
    const odd = expected(6, 100).filter((_, i) => i % 2 === 1); // m7, m9, …, m99
    assert.deepEqual(payloads, [...odd, ...expected(101, 120)]);
    assert.equal(dup, odd.length, 'resends carry DUP, first deliveries do not [MQTT-3.3.1-1]');
    assert.equal(sub.channel.session?.awaitingResendCount, 0);
    assert.equal(sub.channel.session?.inflight.size, 0);
  });

  test('[MQTT-4.3.3 / 4.4.0-1] a QoS 2 message released (PUBREC) while awaiting its resend is not resent as PUBLISH', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const first = await connected(h, persistent(10));
    await first.subscribe([{ topic: 'q', qos: 2 }]);
    const pub = await connected(h, { clientId: 'pub' });
    for (let i = 1; i <= 3; i++) await pub.publish('q', `m${i}`, { qos: 2, messageId: i });
    const ids = first.takePublishes().map((p) => p.messageId!);
    first.channel.transportClosed();
    const sub = await connected(h, persistent(1));
    assert.deepEqual(
      sub.takePublishes().map((p) => p.payload.toString()),
      ['m1'],
    );
    await sub.send({ cmd: 'pubrec', messageId: ids[2]! }); // m3, still waiting for the window
    assert.deepEqual(
      sub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['pubrel', ids[2]]],
    );
    assert.equal(sub.channel.session?.awaitingResendCount, 1, 'only m2 still waits');
    await sub.send({ cmd: 'pubrec', messageId: ids[0]! });
    await sub.send({ cmd: 'pubcomp', messageId: ids[0]! });
    assert.deepEqual(
      sub.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['pubrel', ids[0]]],
      '[MQTT-4.9.0-2] m3 holds the window until its PUBCOMP',
    );
    await sub.send({ cmd: 'pubcomp', messageId: ids[2]! });
    assert.deepEqual(
      sub.takePublishes().map((p) => [p.payload.toString(), p.messageId, p.dup]),
      [['m2', ids[1], true]],
    );
    assert.equal(sub.channel.session?.awaitingResendCount, 0);
  });

  test('[Broker.start] a restored deep queue keeps seq order: in-flight entries are resent first, then the queue', async (t) => {
    const h1 = createHarness({ stores: true, limits: { maxQueuedMessages: 5_000 } });
    const first = await connected(h1, persistent(3));
    await first.subscribe([{ topic: 'q', qos: 1 }]);
    const pub = await connected(h1, { clientId: 'pub' });
    await publishMany(pub, 5_003); // m1..m3 in flight, 5,000 queued
    first.take();
    first.channel.transportClosed();
    await publishMany(pub, 10, 5_004); // beyond the limit: dropped
    assert.equal(h1.metrics.droppedQueueFull, 10);

    const h2 = createHarness({ stores: h1.stores!, clock: h1.clock, limits: h1.limits });
    t.after(() => h2.broker.close());
    await h2.broker.start();
    const sub = await connected(h2, persistent(20));
    assert.equal(sub.channel.session?.queuedCount, 5_000 - 17);
    const { payloads, dup } = await ackAll(sub);
    assert.deepEqual(payloads, expected(1, 5_003));
    assert.equal(dup, 3);
  });
});
