import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { currentValue, startDeviceWorld } from '../helpers/device-api-world.js';
import { TargetKind } from '../helpers/gateway-world.js';
import { startGatewayServer } from './gateway-api/gateway-server.js';

/** Within the default per-device burst (spec §7.1), so none is rate limited. */
const COUNT = 60;

/**
 * Sends QoS 1 PUBLISH packets back to back (no waiting for acknowledgements) and resolves with the
 * PUBACKs as they arrived: [packet id, reason code].
 */
function pipelined(client: MqttClient, items: ReadonlyArray<readonly [string, string]>) {
  return new Promise<Array<[number, number]>>((resolve) => {
    const acks: Array<[number, number]> = [];
    const onPacket = (packet: Packet) => {
      if (packet.cmd !== 'puback') return;
      acks.push([packet.messageId ?? -1, packet.reasonCode ?? 0]);
      if (acks.length < items.length) return;
      client.off('packetreceive', onPacket);
      resolve(acks);
    };
    client.on('packetreceive', onPacket);
    for (const [topic, payload] of items) client.publish(topic, payload, { qos: 1 }, () => undefined);
  });
}

/** The packet ids mqtt.js gave them: in sending order. */
function sentIds(acks: ReadonlyArray<[number, number]>): number[] {
  return acks.map(([id]) => id).sort((a, b) => a - b);
}

const labels = (prefix: string) => Array.from({ length: COUNT }, (_, i) => `${prefix}${i}`);

describe('pipelined value uplinks: acknowledged in order, stored in order [MQTT-4.6.0-2]', () => {
  for (const version of [4, 5] as const) {
    test(`MQTT-4.6.0-2 a device’s back-to-back ds/NAME values: PUBACKs in arrival order, the last value is current (v${version})`, async (t) => {
      const world = await startDeviceWorld(t);
      const { client } = await world.connect(t, world.a.token, { protocolVersion: version });
      const values = labels('m');
      const acks = await pipelined(
        client,
        values.map((v) => ['ds/Message', v] as const),
      );
      assert.deepEqual(
        acks.map(([id]) => id),
        sentIds(acks),
      );
      assert.ok(acks.every(([, code]) => code === 0));
      assert.equal(await currentValue(world, world.a.device.id, 'Message'), values.at(-1));
    });
  }

  for (const [login, version] of [
    ['oauth', 5],
    ['mgmt', 5],
    ['oauth', 4],
    ['mgmt', 4],
  ] as const) {
    test(`MQTT-4.6.0-2 a gateway’s back-to-back dev/{token}/ds/NAME values: PUBACKs in order, the last value is current (${login}, v${version})`, async (t) => {
      const s = await startGatewayServer(t);
      const { client } = await s.gateway(login, version);
      const same = s.world.targets[TargetKind.Same]!;
      const child = s.world.targets[TargetKind.Child]!;
      const values = labels('g');
      // Two targets interleaved, so one connection has writes of several devices in flight.
      const acks = await pipelined(
        client,
        values.map((v, i) => [`dev/${(i % 2 === 0 ? same : child).token}/ds/Label`, v] as const),
      );
      assert.deepEqual(
        acks.map(([id]) => id),
        sentIds(acks),
      );
      assert.ok(acks.every(([, code]) => code === 0));
      assert.equal((await s.values(same.device.id)).v3, values.at(-2));
      assert.equal((await s.values(child.device.id)).v3, values.at(-1));
    });
  }
});
