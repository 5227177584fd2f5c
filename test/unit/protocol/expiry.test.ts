import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

/** A v5 subscriber with a persistent session on `topic`, then disconnected. */
async function offlineSubscriber(h: ReturnType<typeof createHarness>, topic: string, expiry = 3600) {
  const sub = await connected(h, {
    clientId: 'sub',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: expiry },
  });
  await sub.subscribe([{ topic, qos: 1 }]);
  await sub.send({ cmd: 'disconnect' });
}

const resume = (h: ReturnType<typeof createHarness>) =>
  connect(h, {
    clientId: 'sub',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });

describe('message expiry (fake clock)', () => {
  test('[MQTT-3.3.2-5] a queued message that expires before reconnect is not delivered', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await offlineSubscriber(h, 'exp');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('exp', 'short', { qos: 1, properties: { messageExpiryInterval: 10 } });
    await pub.publish('exp', 'forever', { qos: 1, messageId: 2 });
    h.clock.advance(10_001);
    const { client, connack } = await resume(h);
    assert.equal(connack?.sessionPresent, true);
    assert.deepEqual(payloadsOf(client.take()), ['forever']);
    assert.equal(h.metrics.droppedExpired, 1);
  });

  test('[MQTT-3.3.2-6] a delivered message carries the remaining expiry interval', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await offlineSubscriber(h, 'exp');
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('exp', 'm', { qos: 1, properties: { messageExpiryInterval: 10 } });
    h.clock.advance(4_000);
    const { client } = await resume(h);
    const [publish] = client.takePublishes();
    assert.equal(publish?.properties?.messageExpiryInterval, 6);
  });

  test('[MQTT-3.3.2-5] a message already expired when routed is dropped and counted', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'live', protocolVersion: 5 });
    await sub.subscribe('live');
    h.broker.publish({
      topic: 'live',
      payload: Buffer.from('stale'),
      qos: 1,
      retain: false,
      properties: {},
      createdAt: h.clock.now() - 2000,
      expiresAt: h.clock.now() - 1000,
    });
    assert.deepEqual(sub.take(), []);
    assert.equal(h.metrics.droppedExpired, 1);
  });

  test('[MQTT-3.3.2-5] an expired retained message is not sent to new subscribers', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('ret', 'r', { qos: 1, retain: true, properties: { messageExpiryInterval: 5 } });
    const early = await connected(h, { clientId: 'early', protocolVersion: 5 });
    await early.subscribe('ret');
    const [retained] = early.takePublishes();
    assert.equal(retained?.properties?.messageExpiryInterval, 5);
    h.clock.advance(5_000);
    const late = await connected(h, { clientId: 'late', protocolVersion: 5 });
    await late.subscribe('ret');
    assert.deepEqual(late.take(), []);
    assert.equal(h.broker.retained.size, 0, 'dropped from the retained set');
  });
});

describe('session expiry (fake clock)', () => {
  test('[MQTT-3.1.2-23 v5] the session ends after its expiry interval; present=0 on reconnect', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await offlineSubscriber(h, 'x', 30);
    h.clock.advance(29_999);
    assert.equal(h.broker.sessionCount, 1);
    h.clock.advance(1);
    assert.equal(h.broker.sessionCount, 0);
    const { client, connack } = await connect(h, { clientId: 'sub', protocolVersion: 5, clean: false });
    assert.equal(connack?.sessionPresent, false);
    assert.equal(client.channel.session?.subscriptions.size, 0, 'subscriptions went with the session');
  });

  test('[MQTT-3.1.2-23 v5] a reconnect inside the interval resumes the session and cancels expiry', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    await offlineSubscriber(h, 'x', 30);
    h.clock.advance(20_000);
    const { client, connack } = await resume(h);
    assert.equal(connack?.sessionPresent, true);
    h.clock.advance(60_000);
    assert.equal(h.broker.sessionCount, 1, 'connected sessions do not expire');
    await client.send({ cmd: 'disconnect' });
    h.clock.advance(3_600_000);
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[MQTT-3.1.2-11 v5] Session Expiry Interval 0 (absent): the session ends with the connection', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5, clean: false });
    await c.subscribe('x');
    c.channel.transportClosed();
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[§3.14.2.2.2 v5] DISCONNECT may change the Session Expiry Interval', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, {
      clientId: 'c',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 10 },
    });
    await c.send({ cmd: 'disconnect', properties: { sessionExpiryInterval: 100 } });
    h.clock.advance(50_000);
    assert.equal(h.broker.sessionCount, 1);
    h.clock.advance(50_000);
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[MQTT-3.14.2-2 v5] DISCONNECT raising the Session Expiry Interval from 0 is a protocol error', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    await c.send({ cmd: 'disconnect', properties: { sessionExpiryInterval: 100 } });
    const [disconnect] = ofType(c.take(), 'disconnect');
    assert.equal(disconnect?.reasonCode, ReasonCode.ProtocolError);
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[MQTT-3.1.2-4/5 v4] clean session 0 keeps the session up to the configured maximum', async (t) => {
    const h = createHarness({ limits: { maxSessionExpiryInterval: 100 } });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c4', clean: false });
    await c.send({ cmd: 'disconnect' });
    h.clock.advance(99_999);
    assert.equal(h.broker.sessionCount, 1);
    h.clock.advance(1);
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[MQTT-3.1.2-11 v5] 0xFFFFFFFF never expires (when the configured maximum allows it)', async (t) => {
    const h = createHarness({ limits: { maxSessionExpiryInterval: 0xffffffff } });
    t.after(() => h.broker.close());
    const c = await connected(h, {
      clientId: 'forever',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 0xffffffff },
    });
    await c.send({ cmd: 'disconnect' });
    assert.equal(h.clock.pending, 0, 'no expiry timer armed');
    h.clock.advance(10 * 365 * 24 * 3600 * 1000);
    assert.equal(h.broker.sessionCount, 1);
  });
});
