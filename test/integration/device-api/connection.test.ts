import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deviceSessionKey } from '../../../src/device-api/internal-topics.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import {
  currentValue,
  type DeviceWorld,
  pubackCode,
  startDeviceWorld,
} from '../../helpers/device-api-world.js';
import { connackCode, connectRefused, serverClose } from '../../helpers/mqtt-client.js';
import { callerFor } from '../../helpers/platform.js';
import { WAIT_MS } from '../../helpers/wait.js';

/** Polls a condition the test cannot await as an event (server-side state), bounded. */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until the engine has let go of the device's connection and the offline timer is armed. */
async function disconnectedAndArmed(world: DeviceWorld, deviceId: number, timers: number): Promise<void> {
  await eventually(
    'the device session to end',
    () => !world.server.server.broker.isConnected(deviceSessionKey(deviceId)),
  );
  await eventually('the offline timer', () => world.clock.pending >= timers);
}

for (const protocolVersion of [4, 5] as const) {
  const v5 = protocolVersion === 5;
  describe(`Device API connections over MQTT ${v5 ? '5' : '3.1.1'}`, () => {
    test('spec §2.4 a bad token is refused with 0x86 / 4, whatever the token looks like', async (t) => {
      const world = await startDeviceWorld(t);
      for (const password of ['x'.repeat(32), world.a.token.slice(0, -1), '']) {
        const connack = await connectRefused(t, world.server.port, {
          username: 'device',
          password,
          protocolVersion,
        });
        assert.ok(connack !== undefined);
        assert.equal(connackCode(connack), v5 ? ReasonCode.BadUserNameOrPassword : 4);
      }
    });

    test('spec §1.2 client ids: empty or up to 64 characters; longer refused 0x85 / 2', async (t) => {
      const world = await startDeviceWorld(t);
      const ok = await world.connect(t, world.a.token, { protocolVersion, clientId: 'c'.repeat(64) });
      assert.equal(connackCode(ok.connack), 0);
      const connack = await connectRefused(t, world.server.port, {
        username: 'device',
        password: world.b.token,
        protocolVersion,
        clientId: 'c'.repeat(65),
      });
      assert.equal(connackCode(connack!), v5 ? ReasonCode.ClientIdentifierNotValid : 2);
    });

    test('spec §9 one live connection per token: the newest wins (v5 DISCONNECT 0x8E)', async (t) => {
      const world = await startDeviceWorld(t);
      const first = await world.connect(t, world.a.token, { protocolVersion, clientId: 'first' });
      const closed = serverClose(first.client);
      const second = await world.connect(t, world.a.token, { protocolVersion, clientId: 'second' });
      const { disconnect } = await closed;
      if (v5) assert.equal(disconnect?.reasonCode, ReasonCode.SessionTakenOver);
      else assert.equal(disconnect, undefined);
      assert.equal(await pubackCode(second.client, 'ds/Power', '1'), 0);
      assert.equal(world.runtime.presence.isOnline(world.a.device.id), true);
    });

    test('spec §1.4/§5.10 offline after the template delay; a reconnect inside it cancels', async (t) => {
      const world = await startDeviceWorld(t);
      const id = world.a.device.id;
      const first = await world.connect(t, world.a.token, { protocolVersion });
      assert.equal(world.runtime.presence.isOnline(id), true);
      await eventually(
        'connectTime',
        async () => (await world.platform.devices.byId(id))?.connectTime !== undefined,
      );
      await first.client.endAsync();
      await disconnectedAndArmed(world, id, 1);
      world.clock.advance(30_000);
      assert.equal(world.runtime.presence.isOnline(id), true);
      const again = await world.connect(t, world.a.token, { protocolVersion });
      world.clock.advance(60_000);
      assert.equal(world.runtime.presence.isOnline(id), true);
      await again.client.endAsync();
      await disconnectedAndArmed(world, id, 1);
      world.clock.advance(59_999);
      assert.equal(world.runtime.presence.isOnline(id), true);
      world.clock.advance(1);
      assert.equal(world.runtime.presence.isOnline(id), false);
      await eventually(
        'disconnectTime',
        async () => (await world.platform.devices.byId(id))?.disconnectTime !== undefined,
      );
    });

    test('spec §5.9 a static-token device may connect and send data before it is claimed', async (t) => {
      const world = await startDeviceWorld(t);
      const [issued] = await world.platform.devices.generateStaticTokens(callerFor(world.rootOrgId), {
        templateId: world.template.id,
        count: 1,
      });
      assert.ok(issued !== undefined);
      const { client } = await world.connect(t, issued.deviceToken, { protocolVersion });
      assert.equal(await pubackCode(client, 'ds/Power', '1'), 0);
      assert.equal(await currentValue(world, issued.staticToken.deviceId, 'Power'), 1);
    });

    test('spec §9 a device deleted while connected is disconnected at its next uplink', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      await world.platform.devices.delete(callerFor(world.rootOrgId), world.a.device.id);
      const closed = serverClose(client);
      client.publish('ds/Power', '1', { qos: 1 });
      const { disconnect } = await closed;
      if (v5) assert.equal(disconnect?.reasonCode, ReasonCode.NotAuthorized);
    });

    test('spec §1.2 a will on a Device API topic is handled as that uplink', async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, {
        protocolVersion,
        will: { topic: 'ds/Message', payload: Buffer.from('gone'), qos: 0, retain: false },
      });
      client.stream.destroy();
      await eventually(
        'the will value',
        async () => (await currentValue(world, world.a.device.id, 'Message')) === 'gone',
      );
    });

    test('spec §2.5 a device of another region gets downlink/redirect and is closed after a grace', async (t) => {
      const world = await startDeviceWorld(t, { options: { regionUrl: 'https://here.example.com' } });
      const caller = callerFor(world.rootOrgId);
      const away = await world.platform.orgs.create(caller, {
        name: 'Away',
        homeRegionUrl: 'https://fra1.example.com',
      });
      const nested = await world.platform.orgs.create(caller, {
        name: 'Nested',
        parentOrganizationId: away.id,
      });
      const device = await world.addDevice('Traveller', nested.id);
      const { client, inbox } = await world.connect(t, device.token, { protocolVersion });
      const redirect = await inbox.next();
      assert.deepEqual(
        [redirect.topic, redirect.payload.toString(), redirect.packet.qos],
        ['downlink/redirect', 'mqtt://fra1.example.com:1883', 0],
      );
      assert.equal(await pubackCode(client, 'ds/Power', '1'), v5 ? ReasonCode.NotAuthorized : 0);
      assert.equal(await currentValue(world, device.device.id, 'Power'), undefined);
      const closed = serverClose(client);
      world.clock.advance(2000);
      const { disconnect } = await closed;
      if (v5) assert.equal(disconnect?.reasonCode, ReasonCode.UseAnotherServer);
    });

    test('spec §7.3 never redirect to the node the device is on, nor without a home region', async (t) => {
      const world = await startDeviceWorld(t, { options: { regionUrl: 'https://here.example.com' } });
      const home = await world.platform.orgs.create(callerFor(world.rootOrgId), {
        name: 'Home',
        homeRegionUrl: 'https://HERE.example.com:8443/',
      });
      const local = await world.addDevice('Local', home.id);
      for (const token of [local.token, world.a.token]) {
        const { client, inbox } = await world.connect(t, token, { protocolVersion });
        assert.equal(await pubackCode(client, 'ds/Power', '1'), 0);
        await inbox.expectNone(100);
      }
    });
  });
}
