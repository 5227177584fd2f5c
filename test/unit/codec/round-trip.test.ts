import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import type { Packet, ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { normalize } from './normalize.js';
import { packetsV4, packetsV5 } from './packets.js';

function roundTrip(packet: Packet, version: ProtocolVersion): Packet {
  const decoder = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: version });
  const out = decoder.push(encodePacket(packet, version));
  assert.equal(out.length, 1);
  return out[0]!;
}

const tables: Array<[ProtocolVersion, Array<[string, Packet]>]> = [
  [4, packetsV4],
  [5, packetsV5],
];

for (const [version, table] of tables) {
  describe(`round trip, protocol level ${version} (MQTT ${version === 5 ? '5.0' : '3.1.1'} §3)`, () => {
    for (const [name, packet] of table) {
      test(`${name}: decode(encode(p)) equals p`, () => {
        assert.deepStrictEqual(normalize(roundTrip(packet, version)), normalize(packet));
      });
    }
  });
}

test('every packet type is covered for both versions', () => {
  const types = [
    'connect',
    'connack',
    'publish',
    'puback',
    'pubrec',
    'pubrel',
    'pubcomp',
    'subscribe',
    'suback',
  ];
  types.push('unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect');
  for (const table of [packetsV4, packetsV5]) {
    const seen = new Set(table.map(([, p]) => p.cmd));
    for (const type of types) assert.ok(seen.has(type as Packet['cmd']), type);
  }
  assert.ok(packetsV5.some(([, p]) => p.cmd === 'auth'));
});

test('MQTT 3.1 (level 3, "MQIsdp") CONNECT round-trips', () => {
  const packet: Packet = {
    cmd: 'connect',
    protocolId: 'MQIsdp',
    protocolVersion: 3,
    clean: true,
    keepalive: 5,
    clientId: 'old',
  };
  assert.deepStrictEqual(normalize(roundTrip(packet, 3)), normalize(packet));
});
