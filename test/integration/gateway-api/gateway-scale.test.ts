import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { datastreamId } from '../../helpers/gateway-world.js';
import { subscribeCodes } from '../../helpers/mqtt-client.js';
import { callerFor } from '../../helpers/platform.js';
import { startGatewayServer } from './gateway-server.js';

const DEVICES = 1000;
/** Platform API writes in flight at once. */
const PARALLEL = 25;

describe('gateway fan-in at scale (spec §4 "Must show")', () => {
  test(`spec §4.1 a gateway subscribed to ${DEVICES} devices gets each device’s downlink and only that device’s`, async (t) => {
    const s = await startGatewayServer(t);
    const { platform } = s.running;
    const root = callerFor(s.world.orgs.root);
    const devices: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < DEVICES; i++) {
      const orgId = i % 2 === 0 ? s.world.orgs.child : s.world.orgs.grandchild;
      const { device, token } = await platform.devices.create(root, {
        templateId: s.world.template.id,
        name: `n${i}`,
        orgId,
      });
      devices.push({ id: device.id, token });
    }
    for (const version of [4, 5] as const) {
      const { client, inbox } = await s.gateway('oauth', version);
      const codes = await subscribeCodes(
        client,
        devices.map((d) => `dev/${d.token}/downlink/ds/Power`),
        { qos: 1 },
      );
      assert.equal(codes.length, DEVICES);
      assert.ok(codes.every((c) => c === 1));
      const power = datastreamId(s.world.template, 'Power');
      for (let i = 0; i < DEVICES; i += PARALLEL) {
        await Promise.all(
          devices.slice(i, i + PARALLEL).map((d, j) =>
            s.api('POST', '/api/v1/organization/device/datastream', {
              deviceId: d.id,
              dataStreamId: power,
              value: (i + j) % 101,
            }),
          ),
        );
      }
      const received = await inbox.take(DEVICES, 20_000);
      const expected = new Map(devices.map((d, i) => [`dev/${d.token}/downlink/ds/Power`, String(i % 101)]));
      const seen = new Set<string>();
      for (const message of received) {
        assert.equal(expected.get(message.topic), message.payload.toString(), message.topic);
        seen.add(message.topic);
      }
      assert.equal(seen.size, DEVICES, 'one downlink per device, each under its own token');
      await inbox.expectNone(100);
      await client.endAsync();
    }
  });
});
