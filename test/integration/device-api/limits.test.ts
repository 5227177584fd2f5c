import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { dsId, pubackCode, startDeviceWorld } from '../../helpers/device-api-world.js';
import { serverClose } from '../../helpers/mqtt-client.js';

const limited = { rateLimitPerSec: 5, rateLimitBurst: 10, floodDisconnectSec: 2 };

for (const protocolVersion of [4, 5] as const) {
  const v5 = protocolVersion === 5;
  describe(`Device API limits over MQTT ${v5 ? '5' : '3.1.1'}`, () => {
    test('spec §8 #16 over the per-device rate: dropped with a diag (v5 PUBACK 0x97)', async (t) => {
      const world = await startDeviceWorld(t, { options: limited });
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      for (let i = 0; i < 10; i++) assert.equal(await pubackCode(client, 'ds/Power', '1'), 0);
      assert.equal(await pubackCode(client, 'ds/Power', '0'), v5 ? ReasonCode.QuotaExceeded : 0);
      assert.equal((await inbox.next()).payload.toString(), 'Rate limit exceeded');
      assert.equal(world.runtime.metrics.uplinksRateLimited, 1);
      // The limit is per device: another device is unaffected.
      const other = await world.connect(t, world.b.token, { protocolVersion });
      assert.equal(await pubackCode(other.client, 'ds/Power', '1'), 0);
      world.clock.advance(1000);
      for (let i = 0; i < 5; i++) assert.equal(await pubackCode(client, 'ds/Power', '1'), 0);
      assert.equal(client.connected, true);
    });

    test('spec §3.7 sustained flooding is disconnected (v5 DISCONNECT 0x96)', async (t) => {
      const world = await startDeviceWorld(t, { options: limited });
      const { client } = await world.connect(t, world.a.token, { protocolVersion });
      const closed = serverClose(client);
      let open = true;
      closed.then(
        () => (open = false),
        () => undefined,
      );
      for (let step = 0; step < 12 && open; step++) {
        for (let i = 0; i < 15 && open; i++) {
          // No timer here: the last PUBACK never comes, the connection closes instead.
          const acked = new Promise<void>((resolve) =>
            client.publish('ds/Power', '1', { qos: 1 }, () => resolve()),
          );
          await Promise.race([acked, closed]);
        }
        world.clock.advance(250);
      }
      const { disconnect } = await closed;
      if (v5) assert.equal(disconnect?.reasonCode, ReasonCode.MessageRateTooHigh);
      assert.equal(world.runtime.metrics.floodDisconnects, 1);
    });

    test('spec §8 #1 diags are throttled per device', async (t) => {
      const world = await startDeviceWorld(t, { options: { diagIntervalMs: 1000 } });
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      await pubackCode(client, 'ds/One', '1');
      await pubackCode(client, 'ds/Two', '1');
      assert.equal((await inbox.next()).payload.toString(), 'Unknown datastream "One"');
      world.clock.advance(1000);
      await pubackCode(client, 'ds/Three', '1');
      assert.equal((await inbox.next()).payload.toString(), 'Unknown datastream "Three"');
      assert.equal(world.runtime.metrics.diagsThrottled, 1);
      await inbox.expectNone(100);
    });

    test('spec §7.1 events: at least 1 s between events of one code, a daily count per device (v5 0x97)', async (t) => {
      const world = await startDeviceWorld(t, { options: { eventsPerDay: 3 } });
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const refused = v5 ? ReasonCode.QuotaExceeded : 0;
      assert.equal(await pubackCode(client, 'event/overheat', 'first'), 0);
      assert.equal(await pubackCode(client, 'event/overheat', 'too soon'), refused);
      assert.equal(
        (await inbox.next()).payload.toString(),
        'Event "overheat" refused: at most one every 1 s for the same code',
      );
      // Another code is not held back by the first one's interval.
      assert.equal(await pubackCode(client, 'event/door_open', ''), 0);
      world.clock.advance(1000);
      assert.equal(await pubackCode(client, 'event/overheat', 'second'), 0);
      world.clock.advance(1000);
      assert.equal(await pubackCode(client, 'event/door_open', ''), refused);
      assert.equal(
        (await inbox.next()).payload.toString(),
        'Event limit reached: at most 3 events per device per day',
      );
      // Per device: device b still logs.
      const other = await world.connect(t, world.b.token, { protocolVersion });
      assert.equal(await pubackCode(other.client, 'event/overheat', ''), 0);
      const caller = { orgId: world.rootOrgId, actor: 'test' };
      const logged = await world.platform.devices.events(caller, world.a.device.id, {});
      assert.deepEqual(
        logged.content.map((e) => e.description).sort(),
        [
          'first',
          'second',
          world.template.events.find((e) => e.code === 'door_open')?.description ?? '',
        ].sort(),
      );
      assert.equal(world.runtime.metrics.eventsLimited, 2);
      // The next UTC day starts a new count.
      world.clock.advance(86_400_000);
      assert.equal(await pubackCode(client, 'event/overheat', 'tomorrow'), 0);
      assert.equal(client.connected, true);
    });

    test('spec §7.1 timestamped import: points per device per day, the rest dropped with a diag', async (t) => {
      const world = await startDeviceWorld(t, { options: { importPointsPerDay: 5 } });
      const { client, inbox } = await world.connect(t, world.a.token, { protocolVersion });
      const now = world.clock.now();
      const points = (n: number, from: number) =>
        JSON.stringify(Array.from({ length: n }, (_, i) => [now - (from + i) * 1000, from + i]));
      const topic = 'ds/Temperature/timestamped_batch';
      assert.equal(await pubackCode(client, topic, points(3, 0)), 0);
      assert.equal(await pubackCode(client, topic, points(4, 3)), 0, 'partly stored: still a success');
      assert.equal(
        (await inbox.next()).payload.toString(),
        'Daily import limit reached: 2 point(s) dropped (at most 5 per device per day)',
      );
      assert.equal(await pubackCode(client, topic, points(1, 7)), v5 ? ReasonCode.QuotaExceeded : 0);
      await inbox.next();
      const caller = { orgId: world.rootOrgId, actor: 'test' };
      const history = await world.platform.devices.history(caller, world.a.device.id, {
        dataStreamId: dsId(world, 'Temperature'),
      });
      assert.deepEqual(history.content.map((p) => p.value).sort(), [0, 1, 2, 3, 4]);
      assert.equal(world.runtime.metrics.importPointsLimited, 3);
      // ds/NAME is not an import: it is not counted.
      assert.equal(await pubackCode(client, 'ds/Temperature', '21'), 0);
    });
  });
}

test('spec §7.1 limits keep bounded memory: idle counters are swept', async (t) => {
  const world = await startDeviceWorld(t, { options: { rateLimitBurst: 2 } });
  const { limits } = world.runtime;
  for (let id = 1; id <= 3000; id++) {
    limits.rate(id);
    limits.event(id, 'overheat');
  }
  const busy = limits.size;
  world.clock.advance(86_400_000);
  for (let id = 5001; id <= 5010; id++) {
    limits.rate(id);
    limits.event(id, 'overheat');
  }
  assert.ok(limits.size < busy / 10, `${limits.size} entries left of ${busy}`);
});
