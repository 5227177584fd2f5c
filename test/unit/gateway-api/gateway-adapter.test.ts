import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deviceSessionKey } from '../../../src/device-api/internal-topics.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, ofType } from '../../helpers/channel-harness.js';
import { TargetKind } from '../../helpers/gateway-world.js';
import { gatewayHarness, settle, settleUntil } from './gateway-harness.js';

const VERSIONS = [4, 5] as const;

describe('gateway adapter: publish for a device (spec §4.1)', () => {
  for (const version of VERSIONS) {
    for (const login of ['oauth', 'mgmt'] as const) {
      test(`spec §4.1 dev/{token}/ds/NAME acts as the target device (${login}, v${version})`, async (t) => {
        const g = await gatewayHarness(t);
        const client = await g.connect(login, version);
        const same = g.world.targets[TargetKind.Same]!;
        await client.publish(`dev/${same.token}/ds/Power`, '7', { qos: 1, messageId: 3 });
        assert.deepEqual(g.handled, [
          { deviceId: same.device.id, topic: 'ds/Power', payload: '7', via: 'gateway' },
        ]);
        assert.deepEqual(g.seen, [same.device.id], 'spec §4.2: gateway data marks the target online');
        const [ack] = ofType(client.take(), 'puback');
        assert.equal(ack?.messageId, 3);
        if (version === 5) assert.equal(ack?.reasonCode ?? 0, ReasonCode.Success);
      });
    }
  }

  test('spec §4.1 get/ds answers come back as dev/{token}/downlink/ds/NAME to this connection only', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const other = await g.connect('oauth', 5);
    const child = g.world.targets[TargetKind.Child]!;
    await client.subscribe([{ topic: `dev/${child.token}/downlink/ds/#`, qos: 0 }]);
    await other.subscribe([{ topic: `dev/${child.token}/downlink/ds/#`, qos: 1 }]);
    await client.publish(`dev/${child.token}/get/ds`, 'Power', { qos: 1 });
    const publishes = client.takePublishes();
    assert.deepEqual(
      publishes.map((p) => [p.topic, p.payload.toString(), p.qos]),
      [[`dev/${child.token}/downlink/ds/Power`, '42', 0]],
    );
    assert.deepEqual(other.takePublishes(), []);
  });

  test('spec §3.3 without a subscription for that device, get/ds answers are not sent', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const child = g.world.targets[TargetKind.Child]!;
    const same = g.world.targets[TargetKind.Same]!;
    await client.subscribe(`dev/${same.token}/#`);
    await client.publish(`dev/${child.token}/get/ds`, 'Power', { qos: 1 });
    assert.deepEqual(client.takePublishes(), []);
    assert.equal(g.handled.length, 1);
  });

  test('spec §4.2 a flooding target is refused with 0x97 but the gateway stays connected', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    await client.publish(`dev/${same.token}/ds/Flood`, '1', { qos: 1 });
    assert.equal(ofType(client.take(), 'puback')[0]?.reasonCode, ReasonCode.QuotaExceeded);
    assert.equal(client.sink.ended, false);
  });

  test('spec §3.7 a refused uplink keeps its code and its diag goes to dev/{token}/downlink/diag (throttled)', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('mgmt', 5);
    const same = g.world.targets[TargetKind.Same]!;
    await client.publish(`dev/${same.token}/ds/Nope`, '1', { qos: 1, messageId: 1 });
    await client.publish(`dev/${same.token}/ds/Nope`, '1', { qos: 1, messageId: 2 });
    const packets = client.take();
    assert.deepEqual(
      ofType(packets, 'puback').map((a) => a.reasonCode),
      [ReasonCode.TopicNameInvalid, ReasonCode.TopicNameInvalid],
    );
    assert.deepEqual(
      ofType(packets, 'publish').map((p) => [p.topic, p.payload.toString(), p.qos]),
      [[`dev/${same.token}/downlink/diag`, 'Unknown datastream "Nope"', 0]],
    );
    g.harness.clock.advance(1000);
    await client.publish(`dev/${same.token}/ds/Nope`, '1', { qos: 1, messageId: 3 });
    assert.equal(client.takePublishes().length, 1);
  });

  test('spec §4.2 unprefixed topics: the gateway device itself on mgmt_device, refused on OAuth', async (t) => {
    const g = await gatewayHarness(t);
    const mgmt = await g.connect('mgmt', 5);
    await mgmt.publish('ds/Power', '3', { qos: 1 });
    assert.deepEqual(g.handled, [
      { deviceId: g.world.gateway.device.id, topic: 'ds/Power', payload: '3', via: 'device' },
    ]);
    const oauth = await g.connect('oauth', 5);
    await oauth.publish('ds/Power', '3', { qos: 1, messageId: 9 });
    const packets = oauth.take();
    assert.equal(ofType(packets, 'puback')[0]?.reasonCode, ReasonCode.NotAuthorized);
    assert.deepEqual(
      ofType(packets, 'publish').map((p) => p.topic),
      ['downlink/diag'],
    );
    assert.equal(g.handled.length, 1);
  });

  test('spec §4.2 session keys: one per OAuth MQTT client id; mgmt_device shares the device key', async (t) => {
    const g = await gatewayHarness(t);
    await g.connect('oauth', 5, 'one');
    await g.connect('oauth', 4, 'two');
    await g.connect('mgmt', 5, 'whatever');
    const clientId = g.world.oauth.client.clientId;
    assert.equal(g.adapters.get('one')?.sessionKey, `oauth:${clientId}:one`);
    assert.equal(g.adapters.get('two')?.sessionKey, `oauth:${clientId}:two`);
    assert.equal(g.adapters.get('whatever')?.sessionKey, deviceSessionKey(g.world.gateway.device.id));
    assert.equal(g.harness.broker.isConnected(`oauth:${clientId}:one`), true);
    assert.equal(g.harness.broker.isConnected(`oauth:${clientId}:two`), true);
  });

  test('spec §9 gateway rate limit per connection: excess gets 0x97 and a diag, then recovers', async (t) => {
    const g = await gatewayHarness(t, { gatewayRateLimitPerSec: 3 });
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    for (let id = 1; id <= 5; id++)
      await client.publish(`dev/${same.token}/ds/Power`, '1', { qos: 1, messageId: id });
    const packets = client.take();
    assert.deepEqual(
      ofType(packets, 'puback').map((a) => a.reasonCode ?? 0),
      [0, 0, 0, ReasonCode.QuotaExceeded, ReasonCode.QuotaExceeded],
    );
    assert.deepEqual(
      ofType(packets, 'publish').map((p) => [p.topic, p.payload.toString()]),
      [['downlink/diag', 'Gateway rate limit exceeded']],
    );
    assert.equal(g.handled.length, 3);
    g.harness.clock.advance(1000);
    await client.publish(`dev/${same.token}/ds/Power`, '1', { qos: 1, messageId: 6 });
    assert.equal(ofType(client.take(), 'puback')[0]?.reasonCode ?? 0, 0);
  });

  test('spec §4.1 a will on dev/{token}/… acts for the target when the gateway drops', async (t) => {
    const g = await gatewayHarness(t);
    const same = g.world.targets[TargetKind.Same]!;
    const { client } = await connect(g.harness, {
      clientId: 'will-gw',
      username: 'oauth',
      protocolVersion: 5,
      will: {
        topic: `dev/${same.token}/ds/Label`,
        payload: Buffer.from('gateway lost'),
        qos: 0,
        retain: false,
      },
    });
    client.channel.transportClosed();
    // The will resolves its target with a store read (PostgreSQL: maybe behind the change feed's own reads).
    await settleUntil(() => g.handled.length > 0);
    assert.deepEqual(g.handled, [
      { deviceId: same.device.id, topic: 'ds/Label', payload: 'gateway lost', via: 'gateway' },
    ]);
  });
});

describe('gateway adapter: subscriptions and deliveries (spec §4.1, §4.2)', () => {
  test('spec §4.1 dev/{token}/downlink/# and dev/{token}/# deliver that device only, prefixed', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    const grand = g.world.targets[TargetKind.Descendant]!;
    const codes = await client.subscribe([
      { topic: `dev/${same.token}/downlink/#`, qos: 1 },
      { topic: `dev/${grand.token}/#`, qos: 0 },
    ]);
    assert.deepEqual(codes, [1, 0]);
    g.downlink(same.device.id, 'downlink/ds/Power', '5');
    g.downlink(grand.device.id, 'downlink/ds/Label', 'hi');
    g.downlink(g.world.targets[TargetKind.Child]!.device.id, 'downlink/ds/Power', 'not subscribed');
    assert.deepEqual(
      client.takePublishes().map((p) => [p.topic, p.payload.toString(), p.qos]),
      [
        [`dev/${same.token}/downlink/ds/Power`, '5', 1],
        [`dev/${grand.token}/downlink/ds/Label`, 'hi', 0],
      ],
    );
  });

  test('spec §3.1 [CHOICE] gateway subscriptions are granted at most QoS 1', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    assert.deepEqual(await client.subscribe([{ topic: `dev/${same.token}/#`, qos: 2 }]), [1]);
  });

  for (const version of VERSIONS) {
    test(`spec §4.1 forbidden filters are refused (v${version})`, async (t) => {
      const g = await gatewayHarness(t);
      const client = await g.connect('oauth', version);
      const same = g.world.targets[TargetKind.Same]!.token;
      const filters = [
        'dev/+/downlink/ds/Temperature',
        'dev/#',
        '#',
        '+/downlink/#',
        `dev/${same}/ds/#`,
        'downlink/#',
      ];
      const codes = await client.subscribe(filters.map((topic) => ({ topic, qos: 0 as const })));
      const wildcard = ReasonCode.WildcardSubscriptionsNotSupported;
      const expected =
        version === 5
          ? [wildcard, wildcard, wildcard, wildcard, ReasonCode.NotAuthorized, ReasonCode.NotAuthorized]
          : filters.map(() => 0x80);
      assert.deepEqual(codes, expected);
    });
  }

  test('spec §4.2 mgmt_device: unprefixed downlink/# is the gateway device’s own, delivered unprefixed', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('mgmt', 5);
    assert.deepEqual(await client.subscribe([{ topic: 'downlink/#', qos: 1 }]), [1]);
    g.downlink(g.world.gateway.device.id, 'downlink/ds/Power', '1');
    assert.deepEqual(
      client.takePublishes().map((p) => p.topic),
      ['downlink/ds/Power'],
    );
  });

  test('spec §4.2 several gateways subscribed to one device each get the downlink', async (t) => {
    const g = await gatewayHarness(t);
    const one = await g.connect('oauth', 5);
    const two = await g.connect('mgmt', 4);
    const child = g.world.targets[TargetKind.Child]!;
    await one.subscribe(`dev/${child.token}/downlink/ds/Power`);
    await two.subscribe(`dev/${child.token}/#`);
    assert.equal(g.downlink(child.device.id, 'downlink/ds/Power', '9'), 2);
    assert.equal(one.takePublishes()[0]?.topic, `dev/${child.token}/downlink/ds/Power`);
    assert.equal(two.takePublishes()[0]?.topic, `dev/${child.token}/downlink/ds/Power`);
  });

  test('a persistent gateway session resumes its subscriptions with their prefixes', async (t) => {
    const g = await gatewayHarness(t);
    const same = g.world.targets[TargetKind.Same]!;
    const first = await connect(g.harness, {
      clientId: 'durable',
      username: 'oauth',
      protocolVersion: 5,
      clean: true,
      properties: { sessionExpiryInterval: 300 },
    });
    await first.client.subscribe(`dev/${same.token}/#`);
    first.client.channel.transportClosed();
    g.downlink(same.device.id, 'downlink/ds/Power', 'queued');
    const again = await connect(g.harness, {
      clientId: 'durable',
      username: 'oauth',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    assert.equal(again.connack?.sessionPresent, true);
    await settle();
    g.downlink(same.device.id, 'downlink/ds/Power', 'live');
    const topics = again.client.takePublishes().map((p) => `${p.topic}=${p.payload.toString()}`);
    assert.ok(topics.includes(`dev/${same.token}/downlink/ds/Power=live`), JSON.stringify(topics));
  });
});
