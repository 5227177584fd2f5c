import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connected, createHarness, type Harness, type TestClient } from '../../helpers/channel-harness.js';

const session = (receiveMaximum: number) =>
  ({
    clientId: 'sub',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 600, receiveMaximum },
  }) as const;

/** A subscriber that received `count` QoS 1 messages (m1..mN) without acknowledging, then dropped. */
async function unackedThenDropped(h: Harness, count: number): Promise<TestClient> {
  const sub = await connected(h, session(count));
  await sub.subscribe([{ topic: 'r', qos: 1 }]);
  const pub = await connected(h, { clientId: 'pub' });
  for (let i = 1; i <= count; i++) await pub.publish('r', `m${i}`, { qos: 1, messageId: i });
  assert.equal(sub.takePublishes().length, count);
  sub.channel.transportClosed();
  return pub;
}

const seen = (c: TestClient) => c.takePublishes().map((p) => [p.payload.toString(), p.messageId, p.dup]);

describe('resume after reconnect (unit)', () => {
  test('[MQTT-4.4.0-1 / 4.9.0-1] resends keep their ids, carry DUP, and respect the new receive window', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const pub = await unackedThenDropped(h, 3);
    const sub = await connected(h, session(1));
    assert.deepEqual(seen(sub), [['m1', 1, true]]);
    await sub.send({ cmd: 'puback', messageId: 1 });
    assert.deepEqual(seen(sub), [['m2', 2, true]]);
    await pub.publish('r', 'fresh', { qos: 1, messageId: 9 });
    assert.deepEqual(seen(sub), [], 'a new message waits behind the resends');
    await sub.send({ cmd: 'puback', messageId: 2 });
    assert.deepEqual(seen(sub), [['m3', 3, true]]);
    await sub.send({ cmd: 'puback', messageId: 3 });
    const [fresh] = sub.takePublishes();
    assert.equal(fresh?.payload.toString(), 'fresh');
    assert.equal(fresh?.dup, false, '[MQTT-3.3.1-1] a first delivery has DUP 0');
  });

  test('[MQTT-4.4.0-1] an acknowledgement for a message still awaiting resend completes it; it is not re-sent', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await unackedThenDropped(h, 3);
    const sub = await connected(h, session(1));
    assert.deepEqual(seen(sub), [['m1', 1, true]]);
    await sub.send({ cmd: 'puback', messageId: 3 }); // the client had m3 from the previous connection
    assert.deepEqual(seen(sub), []);
    await sub.send({ cmd: 'puback', messageId: 1 });
    assert.deepEqual(seen(sub), [['m2', 2, true]]);
    await sub.send({ cmd: 'puback', messageId: 2 });
    assert.deepEqual(seen(sub), []);
    assert.equal(sub.channel.session?.inflight.size, 0);
  });

  test('[MQTT-4.4.0-1] a larger receive window on reconnect resends everything at once', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await unackedThenDropped(h, 2);
    const sub = await connected(h, session(10));
    assert.deepEqual(seen(sub), [
      ['m1', 1, true],
      ['m2', 2, true],
    ]);
  });

  test('[MQTT-4.3.3 / 4.4.0-1] a QoS 2 message in PUBREL state is resumed with PUBREL, then PUBCOMP completes it', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, session(5));
    await sub.subscribe([{ topic: 'r2', qos: 2 }]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('r2', 'x', { qos: 2, messageId: 1 });
    const [p] = sub.takePublishes();
    await sub.send({ cmd: 'pubrec', messageId: p!.messageId! });
    sub.take();
    sub.channel.transportClosed();
    const again = await connected(h, session(5));
    assert.deepEqual(
      again.take().map((q) => [q.cmd, 'messageId' in q ? q.messageId : undefined]),
      [['pubrel', p!.messageId]],
    );
    await again.send({ cmd: 'pubcomp', messageId: p!.messageId! });
    assert.equal(again.channel.session?.inflight.size, 0);
  });

  test('[MQTT-4.4.0-1] unacknowledged PUBLISH and PUBREL are re-sent on reconnect, PUBLISH with DUP', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', clean: false });
    await sub.subscribe([
      { topic: 'r1', qos: 1 },
      { topic: 'r2', qos: 2 },
    ]);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('r1', 'unacked', { qos: 1, messageId: 1 });
    await pub.publish('r2', 'released', { qos: 2, messageId: 2 });
    const sent = sub.takePublishes();
    assert.deepEqual(
      sent.map((p) => p.dup),
      [false, false],
    );
    const q2 = sent.find((p) => p.qos === 2)!;
    await sub.send({ cmd: 'pubrec', messageId: q2.messageId! });
    sub.take();
    sub.channel.transportClosed();
    const again = await connected(h, { clientId: 'sub', clean: false });
    const resent = again.take();
    const q1 = sent.find((p) => p.qos === 1)!;
    assert.deepEqual(
      resent.map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined, 'dup' in p ? p.dup : undefined]),
      [
        ['publish', q1.messageId, true],
        ['pubrel', q2.messageId, false],
      ],
    );
  });
});
