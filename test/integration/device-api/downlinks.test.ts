import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { currentValue, dsId, pubackCode, startDeviceWorld } from '../../helpers/device-api-world.js';
import { subscribeCodes } from '../../helpers/mqtt-client.js';

for (const protocolVersion of [4, 5] as const) {
  const v5 = protocolVersion === 5;
  describe(`Device API downlinks over MQTT ${v5 ? '5' : '3.1.1'}`, () => {
    test('spec §3.1 subscriptions only under downlink/ with a trailing #; + refused; QoS ≤ 1', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      assert.deepEqual(await subscribeCodes(client, 'downlink/#', { qos: 2 }), [1]);
      assert.deepEqual(await subscribeCodes(client, 'downlink/ds/Power', { qos: 0 }), [0]);
      assert.deepEqual(await subscribeCodes(client, 'downlink/ds/#', { qos: 1 }), [1]);
      const refused = v5 ? ReasonCode.NotAuthorized : 0x80;
      assert.deepEqual(await subscribeCodes(client, 'ds/#'), [refused]);
      assert.equal((await inbox.next()).payload.toString(), 'Subscription to "ds/#" not allowed');
      assert.deepEqual(await subscribeCodes(client, '#'), [refused]);
      await inbox.next();
      assert.deepEqual(await subscribeCodes(client, '$dev/1/downlink/#'), [refused]);
      await inbox.next();
      assert.deepEqual(await subscribeCodes(client, 'downlink/+/Power'), [
        v5 ? ReasonCode.WildcardSubscriptionsNotSupported : 0x80,
      ]);
      assert.match((await inbox.next()).payload.toString(), /"\+" wildcards are not supported/);
    });

    test('spec §3.6 a value written by the platform reaches the device as downlink/ds/NAME', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await subscribeCodes(client, 'downlink/#', { qos: 1 });
      await world.runtime.values.write(world.a.device.id, [
        { dataStreamId: dsId(world, 'Set Temperature'), value: 35 },
        { dataStreamId: dsId(world, 'Place'), value: [30.5, 50.25] },
      ]);
      const [set, place] = await inbox.take(2);
      assert.deepEqual(
        [set!.topic, set!.payload.toString(), set!.packet.qos],
        ['downlink/ds/Set Temperature', '30', 1],
      );
      assert.deepEqual([place!.topic, place!.payload.toString()], ['downlink/ds/Place', '30.5\x0050.25']);
      assert.equal(set!.packet.retain, false);
      assert.equal(await currentValue(world, world.a.device.id, 'Set Temperature'), 30);
    });

    test('spec §3.6 the device’s own uplink is not echoed back', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await subscribeCodes(client, 'downlink/#', { qos: 1 });
      await pubackCode(client, 'ds/Power', '1');
      await pubackCode(client, 'batch_ds', '{"Temperature": 20}');
      await inbox.expectNone();
    });

    test('spec §3.1 diag, redirect and ota/json arrive without a subscription at QoS 0, once', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      world.runtime.downlinks.unsolicited(world.a.device.id, 'downlink/ota/json', '{"url":"u","size":1}');
      const ota = await inbox.next();
      assert.deepEqual([ota.topic, ota.packet.qos], ['downlink/ota/json', 0]);
      await subscribeCodes(client, 'downlink/#', { qos: 1 });
      world.runtime.downlinks.unsolicited(world.a.device.id, 'downlink/diag', 'hello');
      const diag = await inbox.next();
      assert.deepEqual([diag.topic, diag.payload.toString(), diag.packet.qos], ['downlink/diag', 'hello', 0]);
      await inbox.expectNone();
    });

    test('spec §3.3 downlink/ping is QoS 1 and its PUBACK gives the round trip', async (t) => {
      const world = await startDeviceWorld(t);
      const { inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const rtt = await world.runtime.downlinks.ping(world.a.device.id);
      assert.equal(typeof rtt, 'number');
      assert.ok(rtt !== undefined && rtt >= 0 && rtt < 3000);
      const ping = await inbox.next();
      assert.deepEqual([ping.topic, ping.payload.length, ping.packet.qos], ['downlink/ping', 0, 1]);
      assert.equal(await world.runtime.downlinks.ping(world.b.device.id), undefined);
    });

    test('spec §3.3 reboot/reconfigure published by the platform reach a subscribed device', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await subscribeCodes(client, 'downlink/#', { qos: 0 });
      world.runtime.downlinks.publish(world.a.device.id, 'downlink/reboot', '');
      const reboot = await inbox.next();
      assert.deepEqual([reboot.topic, reboot.packet.qos], ['downlink/reboot', 0]);
    });

    test('spec §3.4 rxbuff from info/mcu bounds what is sent to the device', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await subscribeCodes(client, 'downlink/#', { qos: 1 });
      await pubackCode(client, 'info/mcu', JSON.stringify({ rxbuff: 128 }));
      const message = dsId(world, 'Message');
      await world.runtime.values.write(world.a.device.id, [
        { dataStreamId: message, value: 'x'.repeat(200) },
      ]);
      await world.runtime.values.write(world.a.device.id, [{ dataStreamId: message, value: 'short' }]);
      const got = await inbox.next();
      assert.equal(got.payload.toString(), 'short');
      await inbox.expectNone();
    });

    test('spec §1.3 the sync sequence of the official samples: subscribe, info/mcu, get/ds', async (t) => {
      const world = await startDeviceWorld(t);
      await world.runtime.values.write(world.a.device.id, [{ dataStreamId: dsId(world, 'Power'), value: 1 }]);
      const { client, inbox, connack } = await world.connect(t, world.a.token, {
        protocolVersion,
        clientId: '',
        keepalive: 45,
        clean: true,
      });
      if (v5) assert.ok(typeof connack.properties?.assignedClientIdentifier === 'string');
      assert.deepEqual(await subscribeCodes(client, 'downlink/#', { qos: 0 }), [0]);
      const info = {
        tmpl: world.template.templateId,
        ver: '0.1.0',
        build: 'Jan 01 2026 00:00:00',
        type: world.template.templateId,
        rxbuff: 1024,
      };
      client.publish('info/mcu', JSON.stringify(info));
      client.publish('get/ds', 'Power,Set Temperature');
      const got = await inbox.take(2);
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.toString()]),
        [
          ['downlink/ds/Power', '1'],
          ['downlink/ds/Set Temperature', '21'],
        ],
      );
    });

    test('spec §9 isolation: nothing one device sends reaches another device', async (t) => {
      const world = await startDeviceWorld(t);
      const a = await world.connect(t, world.a.token, { protocolVersion });
      const b = await world.connect(t, world.b.token, { protocolVersion });
      await subscribeCodes(b.client, 'downlink/#', { qos: 1 });
      const bId = world.b.device.id;
      const expected = v5 ? ReasonCode.TopicNameInvalid : 0;
      assert.equal(await pubackCode(a.client, `$dev/${bId}/ds/Power`, '1'), expected);
      assert.equal(await pubackCode(a.client, `dev/${world.b.token}/ds/Power`, '1'), expected);
      await pubackCode(a.client, 'ds/Power', '1');
      await pubackCode(a.client, 'get/ds/all', '');
      await pubackCode(a.client, 'ds/Nope', '1');
      await b.inbox.expectNone();
      assert.equal(await currentValue(world, bId, 'Power'), undefined);
      assert.equal(await currentValue(world, world.a.device.id, 'Power'), 1);
    });
  });
}

test('spec §9 downlinks never exceed the v5 client Maximum Packet Size', async (t) => {
  const world = await startDeviceWorld(t);
  const { client, inbox } = await world.connect(t, world.a.token, { properties: { maximumPacketSize: 128 } });
  await subscribeCodes(client, 'downlink/#', { qos: 1 });
  const message = dsId(world, 'Message');
  await world.runtime.values.write(world.a.device.id, [{ dataStreamId: message, value: 'y'.repeat(300) }]);
  await world.runtime.values.write(world.a.device.id, [{ dataStreamId: message, value: 'ok' }]);
  assert.equal((await inbox.next()).payload.toString(), 'ok');
});
