import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { MqttError } from '../../../src/mqtt/codec/errors.js';
import type { Packet, ProtocolVersion } from '../../../src/mqtt/codec/packet.js';
import { normalize } from './normalize.js';
import { packetsV4, packetsV5 } from './packets.js';

const connectFor = (version: ProtocolVersion): Buffer =>
  encodePacket(
    { cmd: 'connect', clientId: 'fuzz', protocolVersion: version, clean: true, keepalive: 0 },
    version,
  );

const streamFor = (version: ProtocolVersion): Buffer =>
  Buffer.concat([
    connectFor(version),
    ...(version === 5 ? packetsV5 : packetsV4).map(([, p]) => encodePacket(p, version)),
  ]);

/** Cuts `buf` at the given positions (any order, duplicates allowed). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, buf.length]) {
    pieces.push(buf.subarray(start, point));
    start = point;
  }
  return pieces;
}

/** Pushes every piece; returns the packets, or the error when the decoder throws. */
function feed(decoder: PacketDecoder, pieces: Buffer[]): Packet[] | unknown {
  const out: Packet[] = [];
  try {
    for (const piece of pieces) out.push(...decoder.push(piece));
  } catch (err) {
    return err;
  }
  return out;
}

const onlyMqttErrors = (result: unknown): boolean => Array.isArray(result) || result instanceof MqttError;

for (const version of [4, 5] as const) {
  test(`fuzz (level ${version}): random bytes after a valid CONNECT throw nothing but MqttError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (noise, cuts) => {
        const decoder = new PacketDecoder({ maxPacketSize: 4096 });
        const stream = Buffer.concat([connectFor(version), Buffer.from(noise)]);
        return onlyMqttErrors(feed(decoder, split(stream, cuts)));
      }),
      { numRuns: 2000 },
    );
  });

  test(`fuzz (level ${version}): a valid stream with corrupted bytes throws nothing but MqttError`, () => {
    const stream = streamFor(version);
    const corruption = fc.array(fc.tuple(fc.nat(stream.length - 1), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(corruption, fc.array(fc.nat(), { maxLength: 4 }), (changes, cuts) => {
        const mutated = Buffer.from(stream);
        for (const [at, value] of changes) mutated[at] = value;
        return onlyMqttErrors(feed(new PacketDecoder({ maxPacketSize: 4096 }), split(mutated, cuts)));
      }),
      { numRuns: 3000 },
    );
  });

  test(`level ${version}: any split of a valid stream decodes to the same packets`, () => {
    const stream = streamFor(version);
    const whole = (feed(new PacketDecoder({ maxPacketSize: 1 << 16 }), [stream]) as Packet[]).map(normalize);
    assert.equal(whole.length, 1 + (version === 5 ? packetsV5 : packetsV4).length);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const pieces = feed(new PacketDecoder({ maxPacketSize: 1 << 16 }), split(stream, cuts));
        assert.ok(Array.isArray(pieces), String(pieces));
        assert.deepStrictEqual((pieces as Packet[]).map(normalize), whole);
      }),
      { numRuns: 500 },
    );
  });
}

test('fuzz: random bytes with no CONNECT throw nothing but MqttError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (noise) => {
      return onlyMqttErrors(feed(new PacketDecoder({ maxPacketSize: 1024 }), [Buffer.from(noise)]));
    }),
    { numRuns: 2000 },
  );
});

const text = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\u0000'));
const userProperties = fc.dictionary(
  text.filter((k) => k !== '__proto__'),
  fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 3 })),
  { minKeys: 1, maxKeys: 3, noNullPrototype: true },
);
const subscriptionIds = fc.oneof(
  fc.integer({ min: 1, max: 268_435_455 }),
  fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 2, maxLength: 4 }),
);

test('round trip: random 5.0 PUBLISH packets decode to what was encoded', () => {
  const publish = fc.record(
    {
      topic: text,
      payload: fc.uint8Array({ maxLength: 64 }),
      qos: fc.constantFrom(0, 1, 2),
      retain: fc.boolean(),
      dup: fc.boolean(),
      messageId: fc.integer({ min: 1, max: 65535 }),
      properties: fc.record(
        {
          payloadFormatIndicator: fc.boolean(),
          messageExpiryInterval: fc.integer({ min: 0, max: 0xffffffff }),
          topicAlias: fc.integer({ min: 1, max: 65535 }),
          responseTopic: text,
          correlationData: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
          userProperties,
          subscriptionIdentifier: subscriptionIds,
          contentType: text,
        },
        { requiredKeys: [], noNullPrototype: true },
      ),
    },
    { requiredKeys: ['topic', 'payload', 'qos', 'retain', 'dup', 'messageId'], noNullPrototype: true },
  );
  fc.assert(
    fc.property(publish, (p) => {
      const packet = {
        cmd: 'publish',
        ...p,
        payload: Buffer.from(p.payload),
        dup: p.qos > 0 && p.dup,
        ...(p.qos === 0 ? { messageId: undefined } : {}),
      } as Packet;
      if (p.qos === 0) delete (packet as { messageId?: number }).messageId;
      if (p.properties !== undefined && Object.keys(p.properties).length === 0)
        delete (packet as { properties?: unknown }).properties;
      const out = new PacketDecoder({ maxPacketSize: 1 << 16, protocolVersion: 5 }).push(
        encodePacket(packet, 5),
      );
      assert.deepStrictEqual(normalize(out[0]!), normalize(packet));
    }),
    { numRuns: 1000 },
  );
});

test('round trip: random SUBSCRIBE packets, both versions', () => {
  const subscription = fc.record(
    {
      topic: text.filter((t) => t.length > 0),
      qos: fc.constantFrom(0, 1, 2),
      nl: fc.boolean(),
      rap: fc.boolean(),
      rh: fc.constantFrom(0, 1, 2),
    },
    { noNullPrototype: true },
  );
  fc.assert(
    fc.property(
      fc.array(subscription, { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 65535 }),
      fc.constantFrom(4, 5),
      (subscriptions, messageId, version) => {
        const expected =
          version === 5 ? subscriptions : subscriptions.map(({ topic, qos }) => ({ topic, qos }));
        const packet = { cmd: 'subscribe', messageId, subscriptions } as Packet;
        const out = new PacketDecoder({ maxPacketSize: 1 << 16, protocolVersion: version }).push(
          encodePacket(packet, version),
        );
        assert.deepStrictEqual(normalize(out[0]!), { cmd: 'subscribe', messageId, subscriptions: expected });
      },
    ),
    { numRuns: 500 },
  );
});
