import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Authenticator } from '../../../src/broker/auth.js';
import type { ClientAdapter } from '../../../src/broker/client-adapter.js';
import type { Packet, PublishPacket, QoS } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connected, createHarness } from '../../helpers/channel-harness.js';

/** An adapter whose `slow/…` publishes complete when the test says so; `fast/…` are handled at once. */
function deferringAdapter() {
  const settles = new Map<string, { resolve: (code: ReasonCode) => void; reject: (err: unknown) => void }>();
  const seen: string[] = [];
  const authenticator: Authenticator = {
    authenticate: (request) => {
      const adapter: ClientAdapter = {
        onPublish: (topic) => {
          seen.push(topic);
          if (topic.startsWith('fast/')) return { kind: 'handled', reasonCode: ReasonCode.Success };
          const reasonCode = new Promise<ReasonCode>((resolve, reject) =>
            settles.set(topic, { resolve, reject }),
          );
          return { kind: 'deferred', reasonCode };
        },
        onSubscribe: (filter) => ({ filter, maxQos: 1 }),
        toWireTopic: (internal) => internal,
      };
      return { ok: true, identity: { clientId: request.clientId }, adapter };
    },
  };
  const settle = (topic: string, code: ReasonCode = ReasonCode.Success) => settles.get(topic)?.resolve(code);
  const fail = (topic: string) => settles.get(topic)?.reject(new Error('store down'));
  return { authenticator, settle, fail, seen };
}

function publish(topic: string, messageId: number, qos: QoS = 1): PublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from('1'), qos, retain: false, dup: false, messageId };
}

const acks = (packets: Packet[]) =>
  packets.map((p) => (p.cmd === 'puback' || p.cmd === 'pubrec' ? `${p.cmd}:${p.messageId}` : p.cmd));

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('deferred publish decisions: pipelined uplinks, acknowledged in order', () => {
  test('[MQTT-4.6.0-2] PUBACKs go out in the order the PUBLISH packets arrived, whatever order they complete in', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    for (let id = 1; id <= 3; id++) assert.equal(c.channel.handle(publish(`slow/${id}`, id)), undefined);
    assert.deepEqual(a.seen, ['slow/1', 'slow/2', 'slow/3'], 'every publish was handed over without waiting');
    a.settle('slow/3');
    a.settle('slow/2');
    await tick();
    assert.deepEqual(acks(c.take()), [], 'nothing before the first one is acknowledged');
    a.settle('slow/1');
    await tick();
    assert.deepEqual(acks(c.take()), ['puback:1', 'puback:2', 'puback:3']);
  });

  test('[MQTT-4.6.0-2] an ack known at once waits behind earlier deferred ones', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    c.channel.handle(publish('slow/1', 1));
    c.channel.handle(publish('fast/2', 2));
    await tick();
    assert.deepEqual(acks(c.take()), []);
    a.settle('slow/1', ReasonCode.PayloadFormatInvalid);
    await tick();
    const packets = c.take();
    assert.deepEqual(acks(packets), ['puback:1', 'puback:2']);
    assert.equal((packets[0] as { reasonCode?: number }).reasonCode, ReasonCode.PayloadFormatInvalid);
  });

  test('a packet other than PUBLISH waits until every deferred PUBLISH is acknowledged (PINGRESP after the PUBACKs)', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 4 });
    c.channel.handle(publish('slow/1', 1));
    const ping = c.channel.handle({ cmd: 'pingreq' });
    assert.ok(ping instanceof Promise, 'the PINGREQ holds the line');
    await tick();
    assert.deepEqual(acks(c.take()), []);
    a.settle('slow/1');
    await ping;
    assert.deepEqual(acks(c.take()), ['puback:1', 'pingresp']);
  });

  test('at most Receive Maximum deferred PUBLISH packets are outstanding; the next waits for a slot', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator, limits: { receiveMaximum: 2 } });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    c.channel.handle(publish('slow/1', 1));
    c.channel.handle(publish('slow/2', 2));
    const third = c.channel.handle(publish('slow/3', 3));
    assert.ok(third instanceof Promise);
    await tick();
    assert.deepEqual(a.seen, ['slow/1', 'slow/2'], 'the third is not handed over yet');
    a.settle('slow/1');
    await third;
    assert.deepEqual(a.seen, ['slow/1', 'slow/2', 'slow/3']);
    a.settle('slow/2');
    a.settle('slow/3');
    await tick();
    assert.deepEqual(acks(c.take()), ['puback:1', 'puback:2', 'puback:3']);
  });

  test('QoS 0 deferred publishes send nothing but keep later acks in line', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    c.channel.handle(publish('slow/0', 0, 0));
    c.channel.handle(publish('fast/1', 1));
    await tick();
    assert.deepEqual(acks(c.take()), []);
    a.settle('slow/0');
    await tick();
    assert.deepEqual(acks(c.take()), ['puback:1']);
  });

  test('[MQTT-4.3.3-9] QoS 2 waits for its completion: PUBREC after it, a resent duplicate is recognised', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    const first = c.channel.handle(publish('slow/q2', 7, 2));
    assert.ok(first instanceof Promise, 'QoS 2 holds the line');
    a.settle('slow/q2');
    await first;
    await c.channel.handle({ ...publish('slow/q2', 7, 2), dup: true });
    assert.deepEqual(acks(c.take()), ['pubrec:7', 'pubrec:7']);
    assert.deepEqual(a.seen, ['slow/q2'], 'the duplicate is not handled twice');
  });

  test('a completion that fails is acknowledged 0x83 (v5) and does not block later acks', async (t) => {
    const a = deferringAdapter();
    const h = createHarness({ authenticator: a.authenticator });
    t.after(() => h.broker.close());
    const c = await connected(h, { clientId: 'c', protocolVersion: 5 });
    c.channel.handle(publish('slow/1', 1));
    c.channel.handle(publish('slow/2', 2));
    a.fail('slow/1');
    a.settle('slow/2');
    await tick();
    const packets = c.take();
    assert.deepEqual(acks(packets), ['puback:1', 'puback:2']);
    assert.equal((packets[0] as { reasonCode?: number }).reasonCode, ReasonCode.ImplementationSpecificError);
  });
});
