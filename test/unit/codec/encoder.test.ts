import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { MqttError } from '../../../src/mqtt/codec/errors.js';
import type { Packet, ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { normalize } from './normalize.js';
import { bytes } from './wire.js';

function decodeOne(buf: Buffer, version: ProtocolVersion): Record<string, unknown> {
  const out = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: version }).push(buf);
  assert.equal(out.length, 1);
  return normalize(out[0]!);
}

const userProperties = { a: 'b' };

test('3.1.1 PUBLISH never carries 5.0 properties', () => {
  const rich: Packet = {
    cmd: 'publish',
    topic: 'a',
    payload: Buffer.from('x'),
    qos: 1,
    messageId: 1,
    dup: false,
    retain: false,
    properties: { topicAlias: 1, userProperties, subscriptionIdentifier: [1, 2], messageExpiryInterval: 5 },
  };
  const { properties: _, ...plain } = rich;
  assert.deepEqual(encodePacket(rich, 4), encodePacket(plain as Packet, 4));
});

test('3.1.1 CONNECT takes level 4 and drops properties and will properties', () => {
  const packet: Packet = {
    cmd: 'connect',
    protocolVersion: 5,
    clientId: 'c',
    clean: true,
    keepalive: 10,
    properties: { sessionExpiryInterval: 10, userProperties },
    will: {
      topic: 'w',
      payload: Buffer.from('p'),
      qos: 1,
      retain: false,
      properties: { willDelayInterval: 3 },
    },
  };
  assert.deepEqual(decodeOne(encodePacket(packet, 4), 4), {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'c',
    clean: true,
    keepalive: 10,
    will: { topic: 'w', payload: Buffer.from('p'), qos: 1, retain: false },
  });
});

test('MQTT 3.1 CONNECT is written as "MQIsdp" level 3', () => {
  const buf = encodePacket({ cmd: 'connect', clientId: 'c', clean: true, keepalive: 0 }, 3);
  assert.equal(buf.subarray(4, 10).toString(), 'MQIsdp');
  assert.equal(buf[10], 3);
});

test('3.1.1 SUBSCRIBE options carry only the QoS [MQTT-3-8.3-4]', () => {
  const buf = encodePacket(
    { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 1, nl: true, rap: true, rh: 2 }] },
    4,
  );
  assert.equal(buf.at(-1), 0x01);
});

test('3.1.1 CONNACK: a 5.0 reason code is downgraded to a return code (MQTT 3.1.1 §3.2.2.3)', () => {
  const cases: Array<[number, number]> = [
    [0x00, 0],
    [0x84, 1],
    [0x85, 2],
    [0x88, 3],
    [0x86, 4],
    [0x87, 5],
    [0x8a, 5],
    [0x97, 3],
  ];
  for (const [reasonCode, returnCode] of cases) {
    const buf = encodePacket({ cmd: 'connack', sessionPresent: false, reasonCode }, 4);
    assert.deepEqual(buf, bytes('20 02 00', returnCode), `0x${reasonCode.toString(16)}`);
  }
});

test('[MQTT-3.9.3-2] 3.1.1 SUBACK keeps 0, 1, 2, 0x80 and maps other failures to 0x80', () => {
  const buf = encodePacket({ cmd: 'suback', messageId: 1, granted: [0, 1, 2, 0x80, 0x87, 0x8f, 0x9e] }, 4);
  assert.deepEqual(decodeOne(buf, 4), {
    cmd: 'suback',
    messageId: 1,
    granted: [0, 1, 2, 0x80, 0x80, 0x80, 0x80],
  });
});

test('3.1.1 acknowledgements and DISCONNECT drop reason codes and properties', () => {
  const props = { properties: { reasonString: 'r', userProperties } };
  assert.deepEqual(
    encodePacket({ cmd: 'puback', messageId: 7, reasonCode: 0x10, ...props }, 4),
    bytes('40 02 00 07'),
  );
  assert.deepEqual(
    encodePacket({ cmd: 'pubrel', messageId: 7, reasonCode: 0x92, ...props }, 4),
    bytes('62 02 00 07'),
  );
  assert.deepEqual(
    encodePacket({ cmd: 'unsuback', messageId: 7, granted: [0x11], ...props }, 4),
    bytes('b0 02 00 07'),
  );
  assert.deepEqual(encodePacket({ cmd: 'disconnect', reasonCode: 4, ...props }, 4), bytes('e0 00'));
});

test('AUTH cannot be encoded for 3.1.1', () => {
  assert.throws(() => encodePacket({ cmd: 'auth', reasonCode: 0x18 }, 4), MqttError);
});

test('MQTT 5.0 §3.4.2.1 PUBACK without a reason code uses the 2-byte short form', () => {
  assert.deepEqual(encodePacket({ cmd: 'puback', messageId: 1 }, 5), bytes('40 02 00 01'));
  assert.deepEqual(
    encodePacket({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5),
    bytes('40 04 00 01 10 00'),
  );
});

test('[MQTT-3.3.1-2] a QoS 0 PUBLISH is never written with DUP set', () => {
  const buf = encodePacket(
    { cmd: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 0, dup: true, retain: false },
    4,
  );
  assert.equal(buf[0], 0x30);
});

test('out-of-range fields throw MqttError instead of writing a truncated frame', () => {
  const longTopic = 'a'.repeat(70_000);
  const publish: Packet = {
    cmd: 'publish',
    topic: longTopic,
    payload: Buffer.alloc(0),
    qos: 0,
    dup: false,
    retain: false,
  };
  assert.throws(() => encodePacket(publish, 4), MqttError);
  assert.throws(() => encodePacket({ cmd: 'puback', messageId: 70_000 }, 4), MqttError);
  assert.throws(() => encodePacket({ cmd: 'puback' } as Packet, 4), MqttError);
  assert.throws(() => encodePacket({ cmd: 'subscribe', messageId: 1, subscriptions: [] }, 5), MqttError);
  assert.throws(() => encodePacket({ cmd: 'bogus' } as unknown as Packet, 5), MqttError);
});
