import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { pubackCode, startDeviceWorld } from '../../helpers/device-api-world.js';
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
  });
}
