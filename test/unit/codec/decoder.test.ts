import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { MalformedPacketError, PacketTooLargeError, ProtocolError } from '../../../src/mqtt/codec/errors.js';
import type { ConnectPacket, Packet, PublishPacket } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { normalize } from './normalize.js';
import { bytes, frame, props, str, u16 } from './wire.js';

const connectV5 = encodePacket(
  { cmd: 'connect', clientId: 'c', protocolVersion: 5, clean: true, keepalive: 0 },
  5,
);
const publish = (payload: Buffer): Packet => ({
  cmd: 'publish',
  topic: 't',
  payload,
  qos: 0,
  dup: false,
  retain: false,
});

test('MQTT 5.0 §3.2.2.3.6 PacketTooLarge is thrown from the fixed header alone, before the body arrives', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100 });
  // PUBLISH announcing 1000 bytes of body; only the 3 header bytes are ever pushed.
  assert.throws(() => decoder.push(bytes('30 e8 07')), PacketTooLargeError);
});

test('MQTT 5.0 §3.2.2.3.6 PacketTooLarge when the header itself arrives one byte at a time', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100 });
  assert.deepEqual(decoder.push(bytes('30')), []);
  assert.deepEqual(decoder.push(bytes('e8')), []);
  assert.throws(
    () => decoder.push(bytes('07')),
    (err: unknown) => {
      return err instanceof PacketTooLargeError && err.reasonCode === ReasonCode.PacketTooLarge;
    },
  );
});

test('Maximum Packet Size counts the whole packet: exactly the limit passes, one more byte fails', () => {
  const atLimit = encodePacket(publish(Buffer.alloc(20)), 4);
  assert.equal(new PacketDecoder({ maxPacketSize: atLimit.length }).push(atLimit).length, 1);
  const over = encodePacket(publish(Buffer.alloc(21)), 4);
  assert.throws(() => new PacketDecoder({ maxPacketSize: atLimit.length }).push(over), PacketTooLargeError);
});

test('maxPacketSize can be changed between packets', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  const packet = encodePacket(publish(Buffer.alloc(50)), 4);
  assert.equal(decoder.push(packet).length, 1);
  decoder.maxPacketSize = 20;
  assert.equal(decoder.maxPacketSize, 20);
  assert.throws(() => decoder.push(packet), PacketTooLargeError);
});

test('[MQTT-4.13.1-1] a failure is sticky: the decoder refuses further input with the same error', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  let first: unknown;
  assert.throws(
    () => decoder.push(bytes('00 00')),
    (err: unknown) => {
      first = err;
      return err instanceof MalformedPacketError;
    },
  );
  assert.throws(
    () => decoder.push(bytes('c0 00')),
    (err: unknown) => err === first,
  );
});

test('the protocol version is learnt from CONNECT, in the same chunk as the packets after it', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  assert.equal(decoder.protocolVersion, undefined);
  const v5Publish = encodePacket(
    {
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 0,
      dup: false,
      retain: false,
      properties: { topicAlias: 2 },
    },
    5,
  );
  const out = decoder.push(Buffer.concat([connectV5, v5Publish]));
  assert.equal(decoder.protocolVersion, 5);
  assert.deepEqual((out[1] as PublishPacket).properties, { topicAlias: 2 });
});

test('[MQTT-3.1.0-2] a second CONNECT does not change the negotiated version', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  decoder.push(connectV5);
  const v4 = encodePacket(
    { cmd: 'connect', clientId: 'c', protocolVersion: 4, clean: true, keepalive: 0 },
    4,
  );
  assert.equal(decoder.push(v4).length, 1);
  assert.equal(decoder.protocolVersion, 5);
  // Still parsing 5.0: a PUBACK with reason code and properties is accepted.
  assert.equal(decoder.push(frame(0x40, u16(1), 0x10, 0)).length, 1);
});

test('[MQTT-3.1.0-2] a second CONNECT of an unknown level is a protocol error, not an unsupported version', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  decoder.push(connectV5);
  const level6 = frame(0x10, str('MQTT'), 6, 0x02, u16(0), str('again'));
  assert.throws(
    () => decoder.push(level6),
    (err: unknown) =>
      err instanceof ProtocolError &&
      err.reasonCode === ReasonCode.ProtocolError &&
      err.message === 'second CONNECT',
  );
  assert.equal(decoder.protocolVersion, 5);
});

test('holdsPartialPacket: true from the first byte of a packet until its last', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  const packet = encodePacket(publish(Buffer.from('payload')), 4);
  assert.equal(decoder.holdsPartialPacket, false);
  decoder.push(packet.subarray(0, 1));
  assert.equal(decoder.holdsPartialPacket, true);
  decoder.push(packet.subarray(1, packet.length - 1));
  assert.equal(decoder.holdsPartialPacket, true);
  assert.equal(decoder.push(packet.subarray(packet.length - 1)).length, 1);
  assert.equal(decoder.holdsPartialPacket, false);
});

test('whole packets in one chunk are parsed in place: the payload is a view of the chunk', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  const chunk = Buffer.concat([
    encodePacket(publish(Buffer.from('one')), 4),
    encodePacket(publish(Buffer.from('two')), 4),
  ]);
  const [a, b] = decoder.push(chunk) as PublishPacket[];
  assert.equal((a!.payload as Buffer).buffer, chunk.buffer);
  assert.equal((b!.payload as Buffer).buffer, chunk.buffer);
  assert.equal((b!.payload as Buffer).toString(), 'two');
});

test('a packet split across chunks is reassembled and its payload is not later overwritten', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  const first = encodePacket(publish(Buffer.from('first')), 4);
  const second = encodePacket(publish(Buffer.from('second')), 4);
  const stream = Buffer.concat([first, second]);
  const out: Packet[] = [];
  for (let i = 0; i < stream.length; i += 3) out.push(...decoder.push(stream.subarray(i, i + 3)));
  assert.deepEqual(
    out.map((p) => (p as PublishPacket).payload.toString()),
    ['first', 'second'],
  );
});

test('a header split mid-way followed by several whole packets in one chunk', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1 << 20 });
  // A PUBLISH with a 2-byte remaining length, then three PINGREQs.
  const big = encodePacket(publish(Buffer.alloc(300, 7)), 4);
  const stream = Buffer.concat([big, bytes('c0 00 c0 00 c0 00')]);
  assert.deepEqual(decoder.push(stream.subarray(0, 2)), []);
  const out = decoder.push(stream.subarray(2));
  assert.deepEqual(
    out.map((p) => p.cmd),
    ['publish', 'pingreq', 'pingreq', 'pingreq'],
  );
});

test('a pending header byte completed by a chunk holding a short packet and more', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  assert.deepEqual(decoder.push(bytes('c0')), []);
  assert.deepEqual(
    decoder.push(bytes('00 c0 00 d0')).map((p) => p.cmd),
    ['pingreq', 'pingreq'],
  );
  assert.deepEqual(
    decoder.push(bytes('00')).map((p) => p.cmd),
    ['pingresp'],
  );
});

test('an empty chunk yields nothing', () => {
  assert.deepEqual(new PacketDecoder({ maxPacketSize: 10 }).push(Buffer.alloc(0)), []);
});

test('MQTT 5.0 §3.15.2.1 AUTH with remaining length 0 means Success', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100, protocolVersion: 5 });
  assert.deepEqual(normalize(decoder.push(bytes('f0 00'))[0]!), { cmd: 'auth', reasonCode: 0 });
});

test('MQTT 5.0 §3.14.2.1 DISCONNECT with remaining length 0 means Normal disconnection', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100, protocolVersion: 5 });
  assert.deepEqual(normalize(decoder.push(bytes('e0 00'))[0]!), { cmd: 'disconnect', reasonCode: 0 });
});

test('a bridge CONNECT (level 0x84) is MQTT 3.1.1 in bridge mode', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100 });
  const [packet] = decoder.push(frame(0x10, str('MQTT'), 0x84, 0x02, u16(0), str('bridge')));
  assert.equal(decoder.protocolVersion, 4);
  assert.equal((packet as { bridgeMode?: boolean }).bridgeMode, true);
});

test('decoding a publish across a 1-byte trickle grows the buffer without quadratic copying', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1 << 20 });
  const packet = encodePacket(publish(Buffer.alloc(300_000, 1)), 4);
  let out: Packet[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < packet.length; i++) out = out.concat(decoder.push(packet.subarray(i, i + 1)));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(out.length, 1);
  assert.equal((out[0] as PublishPacket).payload.length, 300_000);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('MQTT 5.0 §3.3.2.3.7 a repeated User Property keeps every value, even after an empty one', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000, protocolVersion: 5 });
  // mqtt-packet alone would decode k as "x" (it merges repeats by truthiness).
  const packet = frame(
    0x30,
    str('t'),
    props(0x26, str('k'), str(''), 0x26, str('k'), str('x'), 0x26, str('j'), str('')),
    'aa',
  );
  const [decoded] = decoder.push(packet) as PublishPacket[];
  assert.deepEqual({ ...decoded!.properties!.userProperties }, { k: ['', 'x'], j: '' });
});

test('MQTT 5.0 §3.1.3.2.8 the same holds for will properties (non-minimal property length too)', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1000 });
  const willProps = bytes('8d 00', 0x26, str('k'), str(''), 0x26, str('k'), str('y')); // length 13 in 2 bytes
  const packet = frame(
    0x10,
    str('MQTT'),
    5,
    0x06,
    u16(0),
    props(0x26, str('a'), str('')),
    str('c'),
    willProps,
    str('w'),
    u16(0),
  );
  const [decoded] = decoder.push(packet) as ConnectPacket[];
  assert.deepEqual({ ...decoded!.will!.properties!.userProperties }, { k: ['', 'y'] });
  assert.deepEqual({ ...decoded!.properties!.userProperties }, { a: '' });
});

test('[MQTT-3.1.4-1] after a malformed 5.0 CONNECT the version is known, to answer CONNACK 0x81 in 5.0 format', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 100 });
  // Receive Maximum twice (a Protocol Error) in an otherwise valid 5.0 CONNECT.
  const packet = frame(0x10, str('MQTT'), 5, 0x02, u16(0), props(0x21, u16(1), 0x21, u16(2)), str('c'));
  assert.throws(() => decoder.push(packet), ProtocolError);
  assert.equal(decoder.protocolVersion, 5);
});
