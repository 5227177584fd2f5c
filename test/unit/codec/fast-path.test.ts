import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parser as createParser, generate } from 'mqtt-packet';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { decodePublishFast, encodeAckFast, encodePublishFast } from '../../../src/mqtt/codec/fast-path.js';
import type { Packet, ProtocolVersion, PublishPacket } from '../../../src/mqtt/codec/packet.js';
import { normalize } from './normalize.js';

/**
 * Differential tests of the purpose-built PUBLISH/ack codec (fast-path.ts) against mqtt-packet,
 * the reference it replaces on the hot path: same bytes out, same packets in.
 */

const versions: ProtocolVersion[] = [3, 4, 5];

/** Topic names, ASCII and not (the fast path picks latin1 for ASCII). */
const validTopic = (s: string): boolean => !s.includes('#') && !s.includes('+') && !s.includes('\0');
const topic = fc.oneof(
  fc.string({ minLength: 1, maxLength: 200 }).filter(validTopic),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter(validTopic),
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 50 }),
);

const publishArb = fc.record({
  topic,
  payload,
  qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  dup: fc.boolean(),
  retain: fc.boolean(),
  messageId: fc.integer({ min: 1, max: 0xffff }),
  emptyProperties: fc.boolean(),
});

type PublishInput = typeof publishArb extends fc.Arbitrary<infer T> ? T : never;

function publishPacket(p: PublishInput): PublishPacket {
  const packet: PublishPacket = {
    cmd: 'publish',
    topic: p.topic,
    payload: p.payload,
    qos: p.qos,
    dup: p.dup,
    retain: p.retain,
  };
  if (p.qos > 0) packet.messageId = p.messageId;
  if (p.emptyProperties) packet.properties = {};
  return packet;
}

/** What mqtt-packet writes (with the DUP-on-QoS-0 rule the encoder applies [MQTT-3.3.1-2]). */
function reference(packet: Packet, version: ProtocolVersion): Buffer {
  const prepared = packet.cmd === 'publish' && !packet.qos ? { ...packet, dup: false } : packet;
  return generate(prepared, { protocolVersion: version });
}

function referenceParse(bytes: Buffer, version: ProtocolVersion): Packet {
  const p = createParser({ protocolVersion: version });
  let out: Packet | undefined;
  p.on('packet', (packet) => {
    out = packet;
  });
  p.on('error', (err) => {
    throw err;
  });
  p.parse(bytes);
  assert.ok(out);
  return out;
}

test('fast PUBLISH encoding is byte-for-byte mqtt-packet (3.1, 3.1.1, 5.0 without properties)', () => {
  fc.assert(
    fc.property(publishArb, fc.constantFrom(...versions), (p, version) => {
      const packet = publishPacket(p);
      const fast = encodePublishFast(packet, version);
      assert.ok(fast !== undefined);
      assert.deepEqual(fast, reference(packet, version));
    }),
    { numRuns: 2000 },
  );
});

test('fast PUBLISH decoding yields what mqtt-packet parses, length included', () => {
  fc.assert(
    fc.property(publishArb, fc.constantFrom(...versions), (p, version) => {
      const bytes = reference(publishPacket(p), version);
      const decoder = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: version });
      const [decoded] = decoder.push(bytes);
      const expected = referenceParse(bytes, version);
      assert.deepStrictEqual({ ...decoded }, { ...expected });
    }),
    { numRuns: 2000 },
  );
});

test('Remaining Length boundaries (1 to 4 byte varints, MQTT 5.0 §1.5.5) encode and decode like mqtt-packet', () => {
  for (const size of [0, 121, 122, 16_377, 16_378, 2_097_145, 2_097_146]) {
    for (const version of versions) {
      const packet: PublishPacket = {
        cmd: 'publish',
        topic: 'a/b',
        payload: Buffer.alloc(size, 7),
        qos: 0,
        dup: false,
        retain: true,
      };
      const bytes = encodePublishFast(packet, version);
      assert.deepEqual(bytes, reference(packet, version), `size ${size}, level ${version}`);
      const [decoded] = new PacketDecoder({ maxPacketSize: 1 << 24, protocolVersion: version }).push(bytes!);
      assert.deepStrictEqual({ ...decoded }, { ...referenceParse(bytes!, version) });
    }
  }
});

test('5.0 PUBLISH with properties takes the general path both ways', () => {
  const packet: PublishPacket = {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.from('x'),
    qos: 1,
    messageId: 7,
    dup: false,
    retain: false,
    properties: { contentType: 'text/plain', userProperties: { a: 'b' } },
  };
  assert.equal(encodePublishFast(packet, 5), undefined);
  const bytes = encodePacket(packet, 5);
  assert.deepEqual(bytes, reference(packet, 5));
  assert.equal(decodePublishFast(bytes, 2, bytes.length - 2, bytes.length - 1, 5), undefined);
  const [decoded] = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: 5 }).push(bytes);
  assert.deepStrictEqual(normalize(decoded!), normalize(packet));
});

test('3.1.1 PUBLISH drops 5.0 properties on the fast path, as mqtt-packet does', () => {
  const packet: PublishPacket = {
    cmd: 'publish',
    topic: 'a',
    payload: Buffer.from('x'),
    qos: 1,
    messageId: 1,
    dup: false,
    retain: false,
    properties: { topicAlias: 1, messageExpiryInterval: 5 },
  };
  assert.deepEqual(encodePublishFast(packet, 4), reference(packet, 4));
});

test('acknowledgements: fast form equals mqtt-packet (5.0: Success, no properties)', () => {
  const ackArb = fc.record({
    cmd: fc.constantFrom<'puback' | 'pubrec' | 'pubrel' | 'pubcomp'>('puback', 'pubrec', 'pubrel', 'pubcomp'),
    messageId: fc.integer({ min: 0, max: 0xffff }),
    reasonCode: fc.constantFrom<number | undefined>(undefined, 0),
  });
  fc.assert(
    fc.property(ackArb, fc.constantFrom(...versions), (a, version) => {
      const packet = {
        cmd: a.cmd,
        messageId: a.messageId,
        ...(a.reasonCode === undefined ? {} : { reasonCode: a.reasonCode }),
      } as Packet;
      const fast = encodeAckFast(packet, version);
      assert.ok(fast !== undefined);
      // The encoder hands mqtt-packet reason code 0 for 5.0 so it uses the short form.
      const ref = version === 5 ? { ...packet, reasonCode: 0 } : packet;
      assert.deepEqual(fast, reference(ref as Packet, version));
    }),
    { numRuns: 500 },
  );
});

test('acknowledgements: fast decoding yields what mqtt-packet parses (Packet defaults included)', () => {
  for (const version of versions) {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      for (const messageId of [1, 255, 256, 0xffff]) {
        const bytes = encodePacket({ cmd, messageId }, version);
        const [decoded] = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: version }).push(bytes);
        assert.deepStrictEqual(
          { ...decoded },
          { ...referenceParse(bytes, version) },
          `${cmd} level ${version}`,
        );
      }
    }
  }
  // The long 5.0 form (reason code, properties) still goes through the general parser.
  const long = encodePacket({ cmd: 'puback', messageId: 3, reasonCode: 0x10 }, 5);
  const [decoded] = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: 5 }).push(long);
  assert.deepStrictEqual({ ...decoded }, { ...referenceParse(long, 5) });
});

test('PINGREQ / PINGRESP decode as mqtt-packet parses them', () => {
  for (const cmd of ['pingreq', 'pingresp'] as const) {
    const bytes = encodePacket({ cmd }, 4);
    const [decoded] = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: 4 }).push(bytes);
    assert.deepStrictEqual({ ...decoded }, { ...referenceParse(bytes, 4) });
  }
});

test('a decoder keeps no mqtt-packet parser between packets (idle connections stay small)', () => {
  const decoder = new PacketDecoder({ maxPacketSize: 1 << 20 });
  const connect = encodePacket(
    { cmd: 'connect', clientId: 'c', clean: true, keepalive: 10, protocolVersion: 5 },
    5,
  );
  assert.equal(decoder.push(connect)[0]?.cmd, 'connect');
  assert.equal(decoder.protocolVersion, 5);
  // The level learnt from CONNECT still reaches the general parser: a 5.0 SUBSCRIBE with properties.
  const subscribe = encodePacket(
    {
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'a', qos: 1 }],
      properties: { subscriptionIdentifier: 9 },
    },
    5,
  );
  const [decoded] = decoder.push(subscribe);
  assert.equal(decoded?.cmd === 'subscribe' && decoded.properties?.subscriptionIdentifier, 9);
});

test('unusual packets fall back to the general encoder', () => {
  const base: PublishPacket = {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 1,
    dup: false,
    retain: false,
  };
  assert.equal(encodePublishFast(base, 4), undefined, 'QoS 1 without a packet id');
  assert.equal(encodePublishFast({ ...base, messageId: 70_000 }, 4), undefined, 'packet id out of range');
  assert.equal(encodePublishFast({ ...base, topic: 'x'.repeat(70_000), messageId: 1 }, 4), undefined);
  assert.equal(encodeAckFast({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5), undefined);
  assert.equal(
    encodeAckFast({ cmd: 'puback', messageId: 1, properties: { reasonString: 'r' } }, 5),
    undefined,
  );
  assert.throws(
    () => encodePacket({ ...base, topic: 'x'.repeat(70_000), messageId: 1 }, 4),
    /cannot encode publish/,
  );
});
