import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { currentValue, dsId, pubackCode, startDeviceWorld } from '../../helpers/device-api-world.js';

for (const protocolVersion of [4, 5] as const) {
  describe(`Device API values over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`, () => {
    /** v5 answers with the code; 3.1.1 acknowledges everything with a plain PUBACK. */
    const expectCode = (code: number, expected: number): void =>
      assert.equal(code, protocolVersion === 5 ? expected : 0);

    test('spec §3.2 ds/NAME stores the typed value with the server time', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      const before = Date.now();
      expectCode(await pubackCode(client, 'ds/Temperature', '21.5'), ReasonCode.Success);
      assert.equal(await currentValue(world, world.a.device.id, 'Temperature'), 21.5);
      const stored = (await world.platform.devices.currentValues(world.a.device.id))[0];
      assert.ok(stored !== undefined && stored.updatedAt >= before - 1000);
    });

    test('spec §3.1 names with spaces: ds/Set Temperature', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      expectCode(await pubackCode(client, 'ds/Set Temperature', '22.5'), ReasonCode.Success);
      assert.equal(await currentValue(world, world.a.device.id, 'Set Temperature'), 22.5);
    });

    test('spec §3.5 out of range is clamped; unknown enum takes the fallback; Boolean 0/1', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      await pubackCode(client, 'ds/Temperature', '500');
      assert.equal(await currentValue(world, world.a.device.id, 'Temperature'), 125);
      await pubackCode(client, 'ds/Mode', '7');
      assert.equal(await currentValue(world, world.a.device.id, 'Mode'), 0);
      await pubackCode(client, 'ds/Flag', '1');
      assert.equal(await currentValue(world, world.a.device.id, 'Flag'), true);
    });

    test('spec §3.5 a wrong type is ignored with 0x99 and a diag; the connection stays', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      expectCode(await pubackCode(client, 'ds/Power', '12.5'), ReasonCode.PayloadFormatInvalid);
      const diag = await inbox.next();
      assert.equal(diag.topic, 'downlink/diag');
      assert.match(diag.payload.toString(), /"12\.5".*Power/);
      assert.equal(diag.packet.qos, 0);
      assert.equal(await currentValue(world, world.a.device.id, 'Power'), undefined);
      expectCode(await pubackCode(client, 'ds/Power', '1'), ReasonCode.Success);
      assert.equal(client.connected, true);
    });

    test('spec §3.7 unknown datastream: 0x90 and diag `Unknown datastream "Temp"`', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      expectCode(await pubackCode(client, 'ds/Temp', '1'), ReasonCode.TopicNameInvalid);
      assert.equal((await inbox.next()).payload.toString(), 'Unknown datastream "Temp"');
    });

    test('spec §3.1 multi-value: Location lon\\0lat (and lon,lat), String keeps its NULs', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      await pubackCode(client, 'ds/Place', '30.5\x0050.45');
      assert.deepEqual(await currentValue(world, world.a.device.id, 'Place'), [30.5, 50.45]);
      await pubackCode(client, 'ds/Place', '-0.12,51.5');
      assert.deepEqual(await currentValue(world, world.a.device.id, 'Place'), [-0.12, 51.5]);
      await pubackCode(client, 'ds/Message', 'a\x00b');
      assert.equal(await currentValue(world, world.a.device.id, 'Message'), 'a\x00b');
    });

    test('spec §7.3 empty payload: String stores "", numeric is refused', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      expectCode(await pubackCode(client, 'ds/Message', ''), ReasonCode.Success);
      assert.equal(await currentValue(world, world.a.device.id, 'Message'), '');
      expectCode(await pubackCode(client, 'ds/Power', ''), ReasonCode.PayloadFormatInvalid);
    });

    test('spec §3.2 batch_ds writes several values with one timestamp', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      const body = { Temperature: 20.5, Power: 1, Message: 'hi', Flag: false, Place: [10, 20] };
      expectCode(await pubackCode(client, 'batch_ds', JSON.stringify(body)), ReasonCode.Success);
      const values = await world.platform.devices.currentValues(world.a.device.id);
      assert.equal(values.length, 5);
      assert.equal(new Set(values.map((v) => v.updatedAt)).size, 1);
      assert.deepEqual(await currentValue(world, world.a.device.id, 'Place'), [10, 20]);
    });

    test('spec §3.2 batch_ds: bad items dropped with a diag, good ones kept; bad JSON 0x99', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const body = JSON.stringify({ Temperature: 19, Power: 'x', Nope: 1 });
      expectCode(await pubackCode(client, 'batch_ds', body), ReasonCode.Success);
      assert.equal(await currentValue(world, world.a.device.id, 'Temperature'), 19);
      assert.match((await inbox.next()).payload.toString(), /Power.*\(\+1 more\)/);
      expectCode(await pubackCode(client, 'batch_ds', '{nope'), ReasonCode.PayloadFormatInvalid);
      assert.equal((await inbox.next()).payload.toString(), 'Invalid JSON in "batch_ds"');
      expectCode(await pubackCode(client, 'batch_ds', '[1]'), ReasonCode.PayloadFormatInvalid);
      expectCode(await pubackCode(client, 'batch_ds', '{"Nope":1}'), ReasonCode.TopicNameInvalid);
    });

    test('spec §3.2 timestamped_batch stores points within ±1 month, drops others with a diag', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const now = world.clock.now();
      const day = 86_400_000;
      const points = [
        [now - 2 * day, 10],
        [now - day, 11],
        [now - 40 * day, 12],
        [now + 40 * day, 13],
      ];
      expectCode(
        await pubackCode(client, 'ds/Temperature/timestamped_batch', JSON.stringify(points)),
        ReasonCode.Success,
      );
      const caller = { orgId: world.rootOrgId, actor: 'test' };
      const history = await world.platform.devices.history(caller, world.a.device.id, {
        dataStreamId: dsId(world, 'Temperature'),
      });
      assert.deepEqual(history.content.map((p) => p.value).sort(), [10, 11]);
      assert.equal((await inbox.next()).payload.toString(), '2 point(s) outside the ±1 month window dropped');
      expectCode(
        await pubackCode(client, 'ds/Temperature/timestamped_batch', '{"a":1}'),
        ReasonCode.PayloadFormatInvalid,
      );
      expectCode(
        await pubackCode(client, 'ds/Temperature/timestamped_batch', JSON.stringify([[now, 'hot']])),
        ReasonCode.PayloadFormatInvalid,
      );
    });

    test('spec §3.2 ds/NAME/erase clears the current value', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      await pubackCode(client, 'ds/Power', '1');
      expectCode(await pubackCode(client, 'ds/Power/erase', ''), ReasonCode.Success);
      assert.equal(await currentValue(world, world.a.device.id, 'Power'), undefined);
      expectCode(await pubackCode(client, 'ds/Nope/erase', ''), ReasonCode.TopicNameInvalid);
    });

    test('spec §3.2/§5.7 ds/NAME/prop/P sets a property (multi-value), /erase removes it', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const id = world.a.device.id;
      const mode = dsId(world, 'Mode');
      expectCode(await pubackCode(client, 'ds/Mode/prop/labels', 'Off\x00Heat\x00Cool'), ReasonCode.Success);
      expectCode(await pubackCode(client, 'ds/Mode/prop/isDisabled', '1'), ReasonCode.Success);
      const props = await world.platform.devices.properties(id);
      assert.deepEqual(props.find((p) => p.dataStreamId === mode && p.name === 'labels')?.values, [
        'Off',
        'Heat',
        'Cool',
      ]);
      assert.deepEqual(props.find((p) => p.name === 'isDisabled')?.values, ['true']);
      expectCode(await pubackCode(client, 'ds/Mode/prop/labels/erase', ''), ReasonCode.Success);
      const after = await world.platform.devices.properties(id);
      assert.equal(
        after.some((p) => p.name === 'labels'),
        false,
      );
      expectCode(await pubackCode(client, 'ds/Mode/prop/sparkle', 'x'), ReasonCode.TopicNameInvalid);
      assert.equal((await inbox.next()).payload.toString(), 'Unknown property "sparkle"');
      expectCode(await pubackCode(client, 'ds/Mode/prop/isHidden', 'maybe'), ReasonCode.PayloadFormatInvalid);
    });

    test('spec §3.7 unknown topics: 0x90 with a diag; the connection stays', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      for (const topic of [
        'hello',
        'ds/Power/extra',
        'ds/Power/prop',
        'get/everything',
        'downlink/ds/Power',
      ]) {
        expectCode(await pubackCode(client, topic, '1'), ReasonCode.TopicNameInvalid);
        assert.equal((await inbox.next()).payload.toString(), `Unknown topic ${JSON.stringify(topic)}`);
      }
      assert.equal(client.connected, true);
    });
  });
}
