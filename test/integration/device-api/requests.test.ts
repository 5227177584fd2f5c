import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { DeviceStatus } from '../../../src/platform/model.js';
import { type DeviceWorld, pubackCode, startDeviceWorld } from '../../helpers/device-api-world.js';
import { subscribeCodes } from '../../helpers/mqtt-client.js';
import { callerFor } from '../../helpers/platform.js';

function metaId(world: DeviceWorld, name: string): number {
  const field = world.template.metaFields.find((f) => f.name === name);
  if (field === undefined) throw new Error(`no meta field ${name}`);
  return field.id;
}

for (const protocolVersion of [4, 5] as const) {
  describe(`Device API requests and device data over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`, () => {
    const expectCode = (code: number, expected: number): void =>
      assert.equal(code, protocolVersion === 5 ? expected : 0);

    /** A connected device subscribed to `downlink/#`. */
    async function subscribed(t: Parameters<typeof startDeviceWorld>[0], world: DeviceWorld) {
      const connected = await world.connect(t, world.a.token, { protocolVersion });
      await subscribeCodes(connected.client, 'downlink/#', { qos: 1 });
      return connected;
    }

    test('spec §3.2 get/ds answers each named datastream: value, else default; none without both', async (t) => {
      const world = await startDeviceWorld(t);
      await world.runtime.values.write(world.a.device.id, [
        { dataStreamId: world.template.datastreams[0]!.id, value: 19.5 },
      ]);
      const { client, inbox } = await subscribed(t, world);
      expectCode(
        await pubackCode(client, 'get/ds', 'Temperature,Set Temperature,Counter,Nope'),
        ReasonCode.Success,
      );
      const [first, second, third] = await inbox.take(3);
      assert.deepEqual(
        [first, second].map((m) => [m!.topic, m!.payload.toString()]),
        [
          ['downlink/ds/Temperature', '19.5'],
          ['downlink/ds/Set Temperature', '21'],
        ],
      );
      assert.equal(first!.packet.qos, 1);
      assert.deepEqual(
        [third!.topic, third!.payload.toString()],
        ['downlink/diag', 'Unknown datastream "Nope"'],
      );
      await inbox.expectNone();
    });

    test('spec §3.2 get/ds/all answers sync-flagged datastreams with a value or default', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await subscribed(t, world);
      await pubackCode(client, 'ds/Mode', '2'); // not sync-flagged
      await pubackCode(client, 'ds/Temperature', '20');
      expectCode(await pubackCode(client, 'get/ds/all', ''), ReasonCode.Success);
      const answers = await inbox.take(3);
      assert.deepEqual(answers.map((m) => [m.topic, m.payload.toString()]).sort(), [
        ['downlink/ds/Power', '0'],
        ['downlink/ds/Set Temperature', '21'],
        ['downlink/ds/Temperature', '20'],
      ]);
      await inbox.expectNone();
    });

    test('spec §3.3 answers need a subscription and take its QoS', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await pubackCode(client, 'get/ds', 'Power');
      await subscribeCodes(client, 'downlink/ds/#', { qos: 0 });
      await pubackCode(client, 'get/ds', 'Set Temperature');
      const message = await inbox.next();
      assert.equal(message.topic, 'downlink/ds/Set Temperature');
      assert.equal(message.packet.qos, 0);
      await inbox.expectNone();
    });

    test('spec §3.2 get/meta answers readable fields; others get a diag', async (t) => {
      const world = await startDeviceWorld(t);
      await world.platform.devices.setMetaValue(world.a.device.id, metaId(world, 'Serial'), 'SN-1');
      const { client, inbox } = await subscribed(t, world);
      expectCode(
        await pubackCode(client, 'get/meta', 'Device Name,Serial,Coordinates,Nope'),
        ReasonCode.Success,
      );
      const got = await inbox.take(4);
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.toString()]),
        [
          ['downlink/meta/Device Name', 'Device A'],
          ['downlink/meta/Serial', 'SN-1'],
          ['downlink/diag', 'Metadata "Coordinates" is not readable by devices'],
          ['downlink/diag', 'Unknown metadata "Nope"'],
        ],
      );
    });

    test('spec §5.5 get/meta Auth Token (reserved name) answers the device its own token', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await subscribed(t, world);
      await pubackCode(client, 'get/meta', 'Auth Token');
      const answer = await inbox.next();
      assert.deepEqual(
        [answer.topic, answer.payload.toString()],
        ['downlink/meta/Auth Token', world.a.token],
      );
    });

    test('spec §3.2 meta/NAME writes writable types only', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const id = world.a.device.id;
      expectCode(await pubackCode(client, 'meta/Serial', 'SN-42'), ReasonCode.Success);
      expectCode(await pubackCode(client, 'meta/Time Zone', 'Europe/Kyiv'), ReasonCode.Success);
      const values = new Map(
        (await world.platform.devices.metaValues(id)).map((m) => [m.metaFieldId, m.value]),
      );
      assert.equal(values.get(metaId(world, 'Serial')), 'SN-42');
      assert.equal(values.get(metaId(world, 'Time Zone')), 'Europe/Kyiv');
      expectCode(await pubackCode(client, 'meta/Device Name', 'Renamed'), ReasonCode.NotAuthorized);
      assert.equal(
        (await inbox.next()).payload.toString(),
        'Metadata "Device Name" is not writable by devices',
      );
      expectCode(await pubackCode(client, 'meta/Rating', '11'), ReasonCode.PayloadFormatInvalid);
      assert.equal((await inbox.next()).payload.toString(), 'Invalid value for metadata "Rating"');
      expectCode(await pubackCode(client, 'meta/Nope', 'x'), ReasonCode.TopicNameInvalid);
    });

    test('spec §3.2 event/CODE logs the event; empty payload takes the default description', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      expectCode(await pubackCode(client, 'event/overheat', 'Boiler at 97 °C'), ReasonCode.Success);
      world.clock.advance(1000); // spec §7.1: at least 1 s between events of one code
      expectCode(await pubackCode(client, 'event/overheat', ''), ReasonCode.Success);
      const events = await world.platform.devices.events(callerFor(world.rootOrgId), world.a.device.id, {});
      assert.deepEqual(events.content.map((e) => e.description).sort(), [
        'Boiler at 97 °C',
        'Temperature above the safe range',
      ]);
      expectCode(await pubackCode(client, 'event/flood', ''), ReasonCode.TopicNameInvalid);
      assert.equal((await inbox.next()).payload.toString(), 'Unknown event "flood"');
      expectCode(
        await pubackCode(client, 'event/overheat', 'x'.repeat(301)),
        ReasonCode.PayloadFormatInvalid,
      );
      assert.equal((await inbox.next()).payload.toString(), 'Event description longer than 300 characters');
    });

    test('spec §3.4 get/utc/all/json: Time Zone metadata, else the org zone', async (t) => {
      const world = await startDeviceWorld(t, { rootTz: 'America/New_York' });
      const { client, inbox } = await subscribed(t, world);
      await pubackCode(client, 'get/utc/all/json', '');
      const org = JSON.parse((await inbox.next()).payload.toString());
      assert.equal(org.tz_name, 'America/New_York');
      assert.equal(org.tz_rule, 'EST5EDT,M3.2.0,M11.1.0');
      assert.equal(org.tz_offset, -300);
      assert.ok(org.dst_offset === 0 || org.dst_offset === 60);
      assert.equal(org.time, world.clock.now());
      assert.match(org.iso8601, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
      await pubackCode(client, 'meta/Time Zone', 'Asia/Kolkata');
      await pubackCode(client, 'get/utc/all/json', '');
      const own = JSON.parse((await inbox.next()).payload.toString());
      assert.deepEqual([own.tz_name, own.tz_offset, own.dst_offset], ['Asia/Kolkata', 330, 0]);
      assert.ok(own.iso8601.endsWith('+05:30'));
    });

    test('spec §3.4 get/loc/all answers lat,lon from the Location metadata; none → diag', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await subscribed(t, world);
      await pubackCode(client, 'get/loc/all', '');
      assert.equal((await inbox.next()).payload.toString(), 'No location set for this device');
      await world.platform.devices.setMetaValue(world.a.device.id, metaId(world, 'Location'), '50.45,30.52');
      await pubackCode(client, 'get/loc/all', '');
      const answer = await inbox.next();
      assert.deepEqual([answer.topic, answer.payload.toString()], ['downlink/loc/all', '50.45,30.52']);
    });

    test('spec §3.4 info/mcu records the hardware info; a foreign tmpl is accepted with a diag', async (t) => {
      const world = await startDeviceWorld(t);
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const info = {
        tmpl: world.template.templateId,
        ver: '1.2.3',
        build: 'Mar 19 2026 22:57:31',
        type: 'TMPLx',
        rxbuff: 1024,
      };
      const seen: unknown[] = [];
      world.runtime.deviceInfoListeners.push((id, hw) => seen.push([id, hw.version]));
      expectCode(await pubackCode(client, 'info/mcu', JSON.stringify(info)), ReasonCode.Success);
      const device = await world.platform.devices.byId(world.a.device.id);
      assert.deepEqual(device?.hardwareInfo, {
        templateId: info.tmpl,
        version: '1.2.3',
        build: info.build,
        fwType: 'TMPLx',
        rxbuff: 1024,
      });
      assert.deepEqual(seen, [[world.a.device.id, '1.2.3']]);
      expectCode(
        await pubackCode(client, 'info/mcu', JSON.stringify({ tmpl: 'TMPLother1' })),
        ReasonCode.Success,
      );
      assert.equal(
        (await inbox.next()).payload.toString(),
        'Template ID "TMPLother1" does not match this device\'s template',
      );
      expectCode(await pubackCode(client, 'info/mcu', 'not json'), ReasonCode.PayloadFormatInvalid);
    });

    test('spec §5.9 a dynamically provisioned device is activated by its first info/mcu', async (t) => {
      const world = await startDeviceWorld(t);
      const { device, token } = await world.platform.devices.createProvisioningToken(
        callerFor(world.rootOrgId),
        {
          templateId: world.template.id,
          name: 'New one',
        },
      );
      assert.equal(device.status, DeviceStatus.Pending);
      const { client } = await world.connect(t, token, { protocolVersion });
      await pubackCode(client, 'info/mcu', JSON.stringify({ tmpl: world.template.templateId, ver: '0.1' }));
      const activated = await world.platform.devices.byId(device.id);
      assert.equal(activated?.status, DeviceStatus.Activated);
      assert.equal(activated?.hardwareInfo?.version, '0.1');
    });
  });
}
