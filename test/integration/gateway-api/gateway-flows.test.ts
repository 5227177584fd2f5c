import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { TargetKind } from '../../helpers/gateway-world.js';
import { connackCode, connectClient, connectRefused, serverClose } from '../../helpers/mqtt-client.js';
import { callerFor } from '../../helpers/platform.js';
import { publishCode, subscribeCode } from './gateway-mqtt.js';
import { LOGINS, startGatewayServer, VERSIONS } from './gateway-server.js';

describe('MQTT Gateway API end to end with real clients (spec §4)', () => {
  for (const login of LOGINS) {
    for (const version of VERSIONS) {
      const label = `${login === 'oauth' ? 'OAuth client' : 'mgmt_device'}, MQTT ${version === 4 ? '3.1.1' : '5'}`;

      test(`spec §4.1 publish for a device, read it back through the Platform API (${label})`, async (t) => {
        const s = await startGatewayServer(t);
        const { client } = await s.gateway(login, version);
        const grand = s.world.targets[TargetKind.Descendant]!;
        assert.equal(await publishCode(client, `dev/${grand.token}/ds/Power`, '42'), 0);
        assert.equal(
          await publishCode(client, `dev/${grand.token}/batch_ds`, '{"Temperature":21.5,"Label":"hi"}'),
          0,
        );
        assert.deepEqual(await s.values(grand.device.id), { v1: 42, v2: 21.5, v3: 'hi' });
        // spec §4.2: the data marked the target online.
        const online = await s.api('GET', `/api/v1/organization/device/online?deviceId=${grand.device.id}`);
        assert.equal((online.json as { connected: boolean }).connected, true);
      });

      test(`spec §3.9 flow 2: a Platform API write reaches dev/{token}/downlink/ds/NAME (${label})`, async (t) => {
        const s = await startGatewayServer(t);
        const { client, inbox } = await s.gateway(login, version);
        const child = s.world.targets[TargetKind.Child]!;
        const same = s.world.targets[TargetKind.Same]!;
        assert.equal(await subscribeCode(client, `dev/${child.token}/downlink/#`), 1);
        assert.equal(await subscribeCode(client, `dev/${same.token}/#`), 1);
        await s.write(child.device.id, 'Power', 77);
        await s.write(same.device.id, 'Label', 'hello');
        const got = await inbox.take(2);
        assert.deepEqual(
          got.map((m) => [m.topic, m.payload.toString()]).sort(),
          [
            [`dev/${child.token}/downlink/ds/Power`, '77'],
            [`dev/${same.token}/downlink/ds/Label`, 'hello'],
          ].sort(),
        );
        // spec §3.9 flow 3 through the prefix: get/ds answers come back prefixed.
        assert.equal(await publishCode(client, `dev/${child.token}/get/ds`, 'Power'), 0);
        const answer = await inbox.next();
        assert.deepEqual(
          [answer.topic, answer.payload.toString()],
          [`dev/${child.token}/downlink/ds/Power`, '77'],
        );
      });
    }
  }

  test('spec §2.2/§2.3 a sub-org gateway reaches sub-sub-org devices but not the parent’s or a sibling’s', async (t) => {
    const s = await startGatewayServer(t);
    for (const login of LOGINS) {
      const { client } = await s.gateway(login, 5);
      const code = (kind: TargetKind) => publishCode(client, `dev/${s.world.tokens[kind]}/ds/Power`, '5');
      assert.equal(await code(TargetKind.Descendant), 0, login);
      assert.equal(await code(TargetKind.Parent), ReasonCode.NotAuthorized, login);
      assert.equal(await code(TargetKind.Sibling), ReasonCode.NotAuthorized, login);
    }
    assert.deepEqual(await s.values(s.world.targets[TargetKind.Parent]!.device.id), {});
    assert.deepEqual(await s.values(s.world.targets[TargetKind.Sibling]!.device.id), {});
  });

  test('spec §9 moving a device out of scope cuts it off at once (publish and subscription)', async (t) => {
    const s = await startGatewayServer(t);
    const { client, inbox } = await s.gateway('oauth', 5);
    const child = s.world.targets[TargetKind.Child]!;
    assert.equal(await subscribeCode(client, `dev/${child.token}/#`), 1);
    await s.write(child.device.id, 'Power', 1);
    assert.equal((await inbox.next()).topic, `dev/${child.token}/downlink/ds/Power`);
    const moved = await s.api('POST', '/api/v1/organization/device/transfer', {
      deviceId: child.device.id,
      newOrgId: s.world.orgs.sibling,
    });
    assert.ok(moved.status < 300, JSON.stringify(moved));
    await s.write(child.device.id, 'Power', 2);
    assert.equal(await publishCode(client, `dev/${child.token}/ds/Power`, '3'), ReasonCode.NotAuthorized);
    await s.write(child.device.id, 'Power', 4);
    await inbox.expectNone();
    assert.deepEqual(await s.values(child.device.id), { v1: 4 });
  });

  test('spec §4.1 forbidden filters are refused (3.1.1 0x80; v5 0xA2 for wildcards, 0x87 otherwise)', async (t) => {
    const s = await startGatewayServer(t);
    const same = s.world.tokens[TargetKind.Same];
    const filters = ['dev/+/downlink/ds/Temperature', 'dev/#', '#', '+/downlink/#', `dev/${same}/ds/#`];
    for (const version of VERSIONS) {
      const { client } = await s.gateway('oauth', version);
      const codes = [];
      for (const filter of filters) codes.push(await subscribeCode(client, filter));
      const wildcard = ReasonCode.WildcardSubscriptionsNotSupported;
      const expected =
        version === 5
          ? [wildcard, wildcard, wildcard, wildcard, ReasonCode.NotAuthorized]
          : filters.map(() => 0x80);
      assert.deepEqual(codes, expected, `v${version}`);
    }
  });

  test('spec §4.2 fan-out: the device’s own connection gets downlink/…, the gateway dev/{token}/downlink/…; gateway data does not take it over', async (t) => {
    const s = await startGatewayServer(t);
    const same = s.world.targets[TargetKind.Same]!;
    const direct = await connectClient(t, s.mqttPort, {
      username: 'device',
      password: same.token,
      protocolVersion: 5,
    });
    await direct.client.subscribeAsync('downlink/#', { qos: 1 });
    const gw = await s.gateway('mgmt', 4);
    assert.equal(await subscribeCode(gw.client, `dev/${same.token}/downlink/ds/#`), 1);
    assert.equal(await publishCode(gw.client, `dev/${same.token}/ds/Power`, '9'), 0);
    await s.write(same.device.id, 'Power', 10);
    assert.deepEqual(
      [(await direct.inbox.next()).topic, (await gw.inbox.next()).topic],
      ['downlink/ds/Power', `dev/${same.token}/downlink/ds/Power`],
    );
    assert.equal(direct.client.connected, true, 'the device’s own connection stays');
    await direct.inbox.expectNone();
  });

  test('spec §4.2 unprefixed topics act for the gateway device on mgmt_device and are refused on OAuth', async (t) => {
    const s = await startGatewayServer(t);
    const mgmt = await s.gateway('mgmt', 5);
    await mgmt.client.subscribeAsync('downlink/#', { qos: 1 });
    assert.equal(await publishCode(mgmt.client, 'ds/Power', '12'), 0);
    assert.deepEqual(await s.values(s.world.gateway.device.id), { v1: 12 });
    await s.write(s.world.gateway.device.id, 'Label', 'to the gateway itself');
    const own = await mgmt.inbox.next();
    assert.deepEqual([own.topic, own.payload.toString()], ['downlink/ds/Label', 'to the gateway itself']);
    for (const version of VERSIONS) {
      const oauth = await s.gateway('oauth', version);
      assert.equal(
        await publishCode(oauth.client, 'ds/Power', '13'),
        version === 5 ? ReasonCode.NotAuthorized : 0,
      );
    }
    assert.deepEqual(await s.values(s.world.gateway.device.id), { v1: 12, v3: 'to the gateway itself' });
  });

  test('spec §4.2 mgmt_device shares the gateway device’s session: the newest login wins', async (t) => {
    const s = await startGatewayServer(t);
    const first = await s.gateway('mgmt', 5);
    const closed = serverClose(first.client);
    await connectClient(t, s.mqttPort, {
      username: 'device',
      password: s.world.gateway.token,
      protocolVersion: 5,
    });
    assert.equal((await closed).disconnect?.reasonCode, ReasonCode.SessionTakenOver);
    // Several OAuth connections of one client coexist (one session per MQTT client id).
    const one = await s.gateway('oauth', 5);
    const two = await s.gateway('oauth', 4);
    assert.equal(one.client.connected && two.client.connected, true);
  });

  test('spec §2.4 a disabled OAuth client: CONNACK 0x87 / 5, and a live connection is closed with 0x87', async (t) => {
    const s = await startGatewayServer(t);
    const live = await s.gateway('oauth', 5);
    const closed = serverClose(live.client);
    await s.running.platform.oauth.setClientActive(
      callerFor(s.world.orgs.root),
      s.world.oauth.client.id,
      false,
    );
    for (const version of VERSIONS) {
      const connack = await connectRefused(t, s.mqttPort, s.loginOptions('oauth', version));
      assert.equal(connack && connackCode(connack), version === 5 ? ReasonCode.NotAuthorized : 5);
    }
    live.client.publish(`dev/${s.world.tokens[TargetKind.Same]}/ds/Power`, '1', { qos: 1 }, () => undefined);
    assert.equal((await closed).disconnect?.reasonCode, ReasonCode.NotAuthorized);
  });
});
