import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConnectPacket } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import {
  connect,
  connected,
  createHarness,
  type Harness,
  ofType,
  payloadsOf,
  type TestClient,
} from '../../helpers/channel-harness.js';

type Will = NonNullable<ConnectPacket['will']>;

function will(extra: Partial<Will> = {}): Will {
  return { topic: 'will/t', payload: Buffer.from('gone'), qos: 1, retain: false, ...extra };
}

async function watcher(h: Harness): Promise<TestClient> {
  const w = await connected(h, { clientId: 'watcher', protocolVersion: 5 });
  await w.subscribe('will/#');
  return w;
}

/** A v5 client with a will: `delay` seconds of Will Delay, `expiry` seconds of Session Expiry. */
function dying(h: Harness, delay: number, expiry: number, extra: Partial<Will> = {}): Promise<TestClient> {
  return connected(h, {
    clientId: 'dying',
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: expiry },
    will: will({ ...extra, properties: { willDelayInterval: delay, ...extra.properties } }),
  });
}

describe('will messages (fake clock)', () => {
  test('[MQTT-3.1.2-8] the will is published when the connection drops without DISCONNECT', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'd4', will: will() });
    d.channel.transportClosed();
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.2-10] a normal DISCONNECT discards the will', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'd4', will: will() });
    await d.send({ cmd: 'disconnect' });
    h.clock.advance(3_600_000);
    assert.deepEqual(w.take(), []);
  });

  test('[§3.14.2.1 v5] DISCONNECT 0x04 (with will) publishes the will', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 0, 0);
    await d.send({ cmd: 'disconnect', reasonCode: ReasonCode.DisconnectWithWill });
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.3-9] the will waits for its Will Delay Interval', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 10, 3600);
    d.channel.transportClosed();
    h.clock.advance(9_999);
    assert.deepEqual(w.take(), []);
    h.clock.advance(1);
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
    h.clock.advance(3_600_000);
    assert.deepEqual(w.take(), [], 'published once, not again at session end');
  });

  test('[MQTT-3.1.3-9] a reconnect inside the Will Delay Interval cancels the will', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 10, 3600);
    d.channel.transportClosed();
    h.clock.advance(5_000);
    const { connack } = await connect(h, {
      clientId: 'dying',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    assert.equal(connack?.sessionPresent, true);
    h.clock.advance(3_600_000);
    assert.deepEqual(w.take(), []);
  });

  test('[MQTT-3.1.3-9] the will goes out when the session ends, if that is before the delay', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 60, 5);
    d.channel.transportClosed();
    h.clock.advance(4_999);
    assert.deepEqual(w.take(), []);
    h.clock.advance(1);
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
    assert.equal(h.broker.sessionCount, 1, 'the watcher only; the dying session ended');
  });

  test('[MQTT-3.1.3-9] a clean start on the session inside the delay ends it: the will goes out', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 60, 3600);
    d.channel.transportClosed();
    await connected(h, { clientId: 'dying', protocolVersion: 5, clean: true });
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.2-8] keepaliveExpired: v5 DISCONNECT 0x8D, the sink is ended and the will published', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'ka', protocolVersion: 5, keepalive: 2, will: will() });
    assert.deepEqual(d.sink.keepalives, [3_000]);
    d.channel.keepaliveExpired();
    const [disconnect] = ofType(d.take(), 'disconnect');
    assert.equal(disconnect?.reasonCode, ReasonCode.KeepAliveTimeout);
    assert.equal(d.sink.endCalls, 1);
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.2-24] keepaliveExpired on 3.1.1: closed without DISCONNECT, will published', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'ka4', keepalive: 2, will: will() });
    d.channel.keepaliveExpired();
    assert.deepEqual(d.take(), []);
    assert.equal(d.sink.endCalls, 1);
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.2-8] a protocol error publishes the will', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'bad', protocolVersion: 5, will: will() });
    await d.handle({
      cmd: 'publish',
      topic: 'a/+',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    assert.equal(ofType(d.take(), 'disconnect')[0]?.reasonCode, ReasonCode.TopicNameInvalid);
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.2-15/17] a will with Will Retain is stored as retained', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const d = await connected(h, { clientId: 'r', will: will({ retain: true }) });
    d.channel.transportClosed();
    const late = await connected(h, { clientId: 'late' });
    await late.subscribe('will/t');
    const [retained] = late.takePublishes();
    assert.equal(retained?.payload.toString(), 'gone');
    assert.equal(retained?.retain, true);
  });

  test('[§3.1.3.2.4 v5] the will Message Expiry Interval counts from publication, after the delay', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await dying(h, 10, 3600, { properties: { messageExpiryInterval: 30 } });
    d.channel.transportClosed();
    h.clock.advance(10_000);
    const [publish] = w.takePublishes();
    assert.equal(publish?.properties?.messageExpiryInterval, 30);
  });

  test("[MQTT-3.1.4-3] takeover: the old connection's will (delay 0) is published", async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    await dying(h, 0, 3600);
    await connected(h, {
      clientId: 'dying',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    assert.deepEqual(payloadsOf(w.take()), ['gone']);
  });

  test('[MQTT-3.1.3-9] takeover with a will delay and session resumed: the will is not published', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    await dying(h, 10, 3600);
    await connected(h, {
      clientId: 'dying',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    h.clock.advance(60_000);
    assert.deepEqual(w.take(), []);
  });

  test('[architecture: wills] graceful server shutdown does not publish wills', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const w = await watcher(h);
    const d = await connected(h, { clientId: 'sd', protocolVersion: 5, will: will() });
    d.channel.shutdown();
    assert.equal(ofType(d.take(), 'disconnect')[0]?.reasonCode, ReasonCode.ServerShuttingDown);
    assert.deepEqual(w.take(), []);
  });
});
