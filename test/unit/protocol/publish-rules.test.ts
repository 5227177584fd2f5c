import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { type Authorizer, allowAll } from '../../../src/broker/auth.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

const denySecret: Authorizer = {
  ...allowAll,
  canPublish: (_identity, topic) => !topic.startsWith('secret'),
};

const codes = (packets: readonly { cmd: string }[]) =>
  packets.map((p) => [p.cmd, 'reasonCode' in p ? p.reasonCode : undefined]);

/** A v5 subscriber to `q` (QoS 2) with Receive Maximum 1, and a publisher; closed after the test. */
async function quotaOfOne(t: TestContext) {
  const h = createHarness();
  t.after(() => h.broker.close());
  const sub = await connected(h, {
    clientId: 'sub',
    protocolVersion: 5,
    properties: { receiveMaximum: 1 },
  });
  await sub.subscribe([{ topic: 'q', qos: 2 }]);
  const pub = await connected(h, { clientId: 'pub' });
  return { sub, pub };
}

describe('PUBLISH rules (unit)', () => {
  test('[MQTT-4.9.0 v5] send quota: a QoS 2 message holds its slot until PUBCOMP, not PUBREC', async (t) => {
    const { sub, pub } = await quotaOfOne(t);
    await pub.publish('q', 'first', { qos: 2, messageId: 1 });
    await pub.publish('q', 'second', { qos: 2, messageId: 2 });
    const [first] = sub.takePublishes();
    assert.equal(first?.payload.toString(), 'first');
    await sub.send({ cmd: 'pubrec', messageId: first!.messageId! });
    assert.deepEqual(
      sub.take().map((p) => p.cmd),
      ['pubrel'],
      'second still waits',
    );
    await sub.send({ cmd: 'pubcomp', messageId: first!.messageId! });
    assert.deepEqual(payloadsOf(sub.take()), ['second']);
  });

  test('[MQTT-4.9.0 v5] a PUBREC with a failure code ends the exchange and frees the slot', async (t) => {
    const { sub, pub } = await quotaOfOne(t);
    await pub.publish('q', 'refused', { qos: 2, messageId: 1 });
    await pub.publish('q', 'next', { qos: 2, messageId: 2 });
    const [first] = sub.takePublishes();
    await sub.send({ cmd: 'pubrec', messageId: first!.messageId!, reasonCode: ReasonCode.UnspecifiedError });
    const after = sub.take();
    assert.deepEqual(payloadsOf(after), ['next']);
    assert.equal(ofType(after, 'pubrel').length, 0, 'no PUBREL for a refused message');
  });

  test('[MQTT-4.3.3 v5] PUBREC/PUBREL for unknown ids answer 0x92 Packet Identifier not found', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.send({ cmd: 'pubrec', messageId: 77 });
    await c.send({ cmd: 'pubrel', messageId: 78 });
    assert.deepEqual(codes(c.take()), [
      ['pubrel', ReasonCode.PacketIdentifierNotFound],
      ['pubcomp', ReasonCode.PacketIdentifierNotFound],
    ]);
  });

  test('[MQTT-4.3.3-9] QoS 2 duplicate detection survives a reconnect to the same session', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe([{ topic: 'd', qos: 2 }]);
    const first = await connected(h, { clientId: 'pub', clean: false });
    await first.publish('d', 'x', { qos: 2, messageId: 3 });
    first.channel.transportClosed(); // PUBREC lost: the client re-sends after reconnecting
    const again = await connected(h, { clientId: 'pub', clean: false });
    await again.publish('d', 'x', { qos: 2, messageId: 3, dup: true });
    assert.deepEqual(
      again.take().map((p) => p.cmd),
      ['pubrec'],
    );
    assert.deepEqual(payloadsOf(sub.take()), ['x'], 'delivered once');
  });

  test('[MQTT-3.3.2-4 / §3.3.2.3.2 v5] invalid UTF-8 with Payload Format Indicator 1 → PUBACK 0x99, not routed', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe('pfi');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('pfi', Buffer.from([0xff, 0xfe]), {
      qos: 1,
      properties: { payloadFormatIndicator: true },
    });
    assert.deepEqual(codes(pub.take()), [['puback', ReasonCode.PayloadFormatInvalid]]);
    assert.deepEqual(sub.take(), []);
  });

  test('[MQTT-3.3.4-6 v5] a Subscription Identifier in a client PUBLISH is a protocol error', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.handle({
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { subscriptionIdentifier: 3 },
    });
    assert.deepEqual(codes(pub.take()), [['disconnect', ReasonCode.ProtocolError]]);
  });

  test('[§3.3.4 / 3.4.2.1 v5] unauthorized PUBLISH: v5 PUBACK 0x87, 3.1.1 plain PUBACK; never routed', async (t) => {
    const h = createHarness({ authorizer: denySecret });
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub' });
    await sub.subscribe('#');
    const v5 = await connected(h, { clientId: 'p5', protocolVersion: 5 });
    await v5.publish('secret/a', 'x', { qos: 1 });
    await v5.publish('secret/a', 'y', { qos: 2, messageId: 2 });
    assert.deepEqual(codes(v5.take()), [
      ['puback', ReasonCode.NotAuthorized],
      ['pubrec', ReasonCode.NotAuthorized],
    ]);
    const v4 = await connected(h, { clientId: 'p4' });
    await v4.publish('secret/a', 'z', { qos: 1 });
    assert.deepEqual(
      v4.take().map((p) => p.cmd),
      ['puback'],
    );
    assert.deepEqual(sub.take(), []);
    assert.equal(v5.channel.state, 'connected');
  });

  test('[MQTT-3.9.3 / decision 0002] refused SUBSCRIBE filter: false → 0x80; a named code is sent to v5 only', async (t) => {
    const h = createHarness({
      authorizer: {
        ...allowAll,
        canSubscribe: (_identity, filter) =>
          filter.startsWith('secret') ? false : filter.startsWith('named') ? ReasonCode.NotAuthorized : true,
      },
    });
    t.after(() => h.broker.close());
    const filters = [
      { topic: 'open', qos: 1 as const },
      { topic: 'secret/#', qos: 1 as const },
      { topic: 'named/#', qos: 1 as const },
    ];
    const v5 = await connected(h, { clientId: 's5', protocolVersion: 5 });
    assert.deepEqual(await v5.subscribe(filters), [1, 0x80, ReasonCode.NotAuthorized]);
    const v4 = await connected(h, { clientId: 's4' });
    assert.deepEqual(await v4.subscribe(filters), [1, 0x80, 0x80]);
  });

  test('[decision 0002] the authorizer sees the inner filter and the share name of a shared subscription', async (t) => {
    const seen: Array<[string, string | undefined]> = [];
    const h = createHarness({
      authorizer: {
        ...allowAll,
        canSubscribe: (_identity, filter, shareName) => {
          seen.push([filter, shareName]);
          return true;
        },
      },
    });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.subscribe([
      { topic: '$share/g/a/#', qos: 0 },
      { topic: 'b', qos: 0 },
    ]);
    assert.deepEqual(seen, [
      ['a/#', 'g'],
      ['b', undefined],
    ]);
  });

  test("[MQTT-3.3.4-3 v5] retained messages sent on subscribe carry that subscription's identifier", async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('rid', 'r', { qos: 1, retain: true });
    const sub = await connected(h, { clientId: 'sub', protocolVersion: 5 });
    await sub.subscribe([{ topic: 'rid', qos: 1 }], { subscriptionId: 12 });
    assert.deepEqual(
      sub.takePublishes().map((p) => p.properties?.subscriptionIdentifier),
      [12],
    );
  });

  test('[MQTT-3.3.2-17..20 v5] application properties reach v5 subscribers unaltered', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', protocolVersion: 5 });
    await sub.subscribe('props');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    const properties = {
      payloadFormatIndicator: true,
      contentType: 'application/json',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([1, 2, 3]),
    };
    await pub.publish('props', '{}', { qos: 1, properties });
    const [p] = sub.takePublishes();
    assert.equal(p?.properties?.payloadFormatIndicator, true);
    assert.equal(p?.properties?.contentType, 'application/json');
    assert.equal(p?.properties?.responseTopic, 'reply/here');
    assert.deepEqual(p?.properties?.correlationData, Buffer.from([1, 2, 3]));
  });

  test('[MQTT-3.1.2-5] QoS 1 queued while offline is delivered in order after resume, QoS 0 is not queued', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', clean: false });
    await sub.subscribe([{ topic: 'o', qos: 1 }]);
    sub.channel.transportClosed();
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('o', 'q1-a', { qos: 1 });
    await pub.publish('o', 'q0');
    await pub.publish('o', 'q1-b', { qos: 1, messageId: 2 });
    const { client, connack } = await connect(h, { clientId: 'sub', clean: false });
    assert.equal(connack?.sessionPresent, true);
    assert.deepEqual(payloadsOf(client.take()), ['q1-a', 'q1-b']);
  });
});
