import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Authenticator } from '../../../src/broker/auth.js';
import type { AdapterLink, ClientAdapter } from '../../../src/broker/client-adapter.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, ofType } from '../../helpers/channel-harness.js';

/**
 * A toy API on the adapter seam: user `dev-N` owns the internal namespace `$dev/N/`; it may publish
 * `up/...` (routed as `$dev/N/up/...`), `cmd/...` is consumed with a code, and it may subscribe
 * only under `down/` (mounted as `$dev/N/down/...`).
 */
function mountingAuthenticator(links: AdapterLink[], consumed: string[]): Authenticator {
  return {
    authenticate: (request) => {
      const owner = request.username ?? 'anon';
      const prefix = `$dev/${owner}/`;
      const adapter: ClientAdapter = {
        sessionKey: `device:${owner}`,
        onConnected: (link) => links.push(link),
        onPublish: (topic, message) => {
          if (topic.startsWith('up/')) return { kind: 'route', topic: prefix + topic };
          consumed.push(`${topic}=${message.payload.toString()}`);
          return { kind: 'handled', reasonCode: topic === 'cmd/bad' ? ReasonCode.PayloadFormatInvalid : 0 };
        },
        onSubscribe: (filter) =>
          filter.startsWith('down/') ? { filter: prefix + filter, maxQos: 1 } : ReasonCode.NotAuthorized,
        toWireTopic: (internal) => (internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined),
        onWill: (message) => prefix + message.topic,
      };
      return { ok: true, identity: { clientId: request.clientId, username: owner }, adapter };
    },
  };
}

describe('client adapter: mount/unmount at the edge (architecture "Mount / unmount")', () => {
  test('subscriptions are mounted, granted QoS capped, and deliveries unmounted to the wire topic', async (t) => {
    const links: AdapterLink[] = [];
    const h = createHarness({ authenticator: mountingAuthenticator(links, []) });
    t.after(() => h.broker.close());
    const device = await connected(h, { clientId: 'd1', username: '7', protocolVersion: 5 });
    const granted = await device.subscribe([
      { topic: 'down/#', qos: 2 },
      { topic: 'elsewhere/#', qos: 0 },
      { topic: '$share/g/down/x', qos: 0 },
    ]);
    assert.deepEqual(granted, [1, ReasonCode.NotAuthorized, ReasonCode.SharedSubscriptionsNotSupported]);
    h.broker.publish({
      topic: '$dev/7/down/ds/Power',
      payload: Buffer.from('1'),
      qos: 1,
      retain: false,
      properties: {},
      createdAt: 0,
    });
    h.broker.publish({
      topic: '$dev/8/down/ds/Power',
      payload: Buffer.from('2'),
      qos: 1,
      retain: false,
      properties: {},
      createdAt: 0,
    });
    const got = device.takePublishes();
    assert.deepEqual(
      got.map((p) => [p.topic, p.payload.toString(), p.qos]),
      [['down/ds/Power', '1', 1]],
    );
    assert.equal(links[0]?.sessionKey, 'device:7');
  });

  test("publishes are routed under the mounted topic or consumed with the adapter's PUBACK code", async (t) => {
    const consumed: string[] = [];
    const h = createHarness({ authenticator: mountingAuthenticator([], consumed) });
    t.after(() => h.broker.close());
    const watcher = await connected(h, { clientId: 'w', username: 'watcher' });
    const device = await connected(h, { clientId: 'd1', username: '7', protocolVersion: 5 });
    // The watcher's own adapter confines it to $dev/watcher/: it must not see device 7's traffic.
    await watcher.subscribe([{ topic: 'down/#', qos: 1 }]);
    await device.publish('up/temp', '21', { qos: 1, messageId: 1 });
    await device.publish('cmd/ok', 'a', { qos: 1, messageId: 2 });
    await device.publish('cmd/bad', 'b', { qos: 1, messageId: 3 });
    const acks = ofType(device.take(), 'puback');
    assert.deepEqual(
      acks.map((a) => [a.messageId, a.reasonCode ?? 0]),
      [
        [1, ReasonCode.NoMatchingSubscribers],
        [2, 0],
        [3, ReasonCode.PayloadFormatInvalid],
      ],
    );
    assert.deepEqual(consumed, ['cmd/ok=a', 'cmd/bad=b']);
    assert.deepEqual(watcher.takePublishes(), []);
  });

  test('one session per adapter session key: a second connection for the same key takes over [MQTT-3.1.4-3]', async (t) => {
    const h = createHarness({ authenticator: mountingAuthenticator([], []) });
    t.after(() => h.broker.close());
    const first = await connected(h, { clientId: 'esp-a', username: '7', protocolVersion: 5 });
    await connected(h, { clientId: 'esp-b', username: '7', protocolVersion: 5 });
    const disconnect = ofType(first.take(), 'disconnect')[0];
    assert.equal(disconnect?.reasonCode, ReasonCode.SessionTakenOver);
    await connected(h, { clientId: 'esp-a', username: '8', protocolVersion: 5 }); // same client id, other key
    assert.equal(h.broker.isConnected('device:7'), true);
    assert.equal(h.broker.isConnected('device:8'), true);
  });

  test('deliverTo reaches a session without a subscription; onAcknowledged fires on PUBACK', async (t) => {
    const h = createHarness({ authenticator: mountingAuthenticator([], []) });
    t.after(() => h.broker.close());
    const device = await connected(h, { clientId: 'd', username: '7', protocolVersion: 5 });
    const acked: number[] = [];
    const message = {
      topic: '$dev/7/down/ping',
      payload: Buffer.alloc(0),
      qos: 1 as const,
      retain: false,
      properties: {},
      createdAt: 0,
      onAcknowledged: (at: number) => acked.push(at),
    };
    assert.equal(h.broker.deliverTo('device:7', message), true);
    assert.equal(h.broker.deliverTo('device:nobody', message), false);
    const [ping] = device.takePublishes();
    assert.equal(ping?.topic, 'down/ping');
    await device.send({ cmd: 'puback', messageId: ping!.messageId! });
    assert.equal(acked.length, 1);
  });

  test('[§3.2.2.3 v5] CONNACK of an adapter connection says Shared Subscription Available = 0 (truthful)', async (t) => {
    const h = createHarness({ authenticator: mountingAuthenticator([], []) });
    t.after(() => h.broker.close());
    const { connack } = await connect(h, { clientId: 'd', username: '7', protocolVersion: 5 });
    assert.equal(connack?.properties?.sharedSubscriptionAvailable, false);
  });
});
