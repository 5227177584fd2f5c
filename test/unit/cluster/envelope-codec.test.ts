import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { BrokerMessage } from '../../../src/broker/message.js';
import {
  decodeEnvelope,
  decodeMessageFrame,
  EnvelopeDecodeError,
  encodeEnvelope,
  encodeMessage,
} from '../../../src/cluster/envelope-codec.js';
import type { ClusterEnvelope } from '../../../src/cluster/types.js';

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function message(overrides: Partial<BrokerMessage> = {}): BrokerMessage {
  return {
    topic: 'a/b',
    payload: Buffer.from('hello'),
    qos: 1,
    retain: false,
    properties: {},
    createdAt: 1_700_000_000_123,
    ...overrides,
  };
}

const messages: Record<string, BrokerMessage> = {
  'minimal QoS 0': message({ qos: 0 }),
  'QoS 1': message({ qos: 1 }),
  'QoS 2': message({ qos: 2 }),
  retain: message({ retain: true }),
  'empty payload': message({ payload: Buffer.alloc(0) }),
  'every byte value in the payload': message({ payload: allBytes }),
  'payload that looks like a header': message({ payload: Buffer.from('\u0001\u0000\u0000\u0000\u0002{}') }),
  '1 MiB random payload': message({ payload: randomBytes(1 << 20) }),
  'UTF-8 topic': message({ topic: 'häuser/温度/😀' }),
  expiresAt: message({ expiresAt: 1_700_000_060_000 }),
  publisherId: message({ publisherId: 'device-42' }),
  'payloadFormatIndicator true': message({ properties: { payloadFormatIndicator: true } }),
  'payloadFormatIndicator false': message({ properties: { payloadFormatIndicator: false } }),
  contentType: message({ properties: { contentType: 'application/json' } }),
  responseTopic: message({ properties: { responseTopic: 'reply/to/me' } }),
  'correlationData (binary)': message({ properties: { correlationData: allBytes } }),
  'empty correlationData': message({ properties: { correlationData: Buffer.alloc(0) } }),
  'userProperties, single and repeated keys': message({
    properties: { userProperties: { a: '1', repeated: ['x', 'y', 'x'], ключ: 'значение' } },
  }),
  'every property at once': message({
    qos: 2,
    retain: true,
    expiresAt: 1_700_000_099_000,
    publisherId: 'pub',
    payload: randomBytes(1024),
    properties: {
      payloadFormatIndicator: true,
      contentType: 'text/plain',
      responseTopic: 'r',
      correlationData: randomBytes(16),
      userProperties: { k: 'v' },
    },
  }),
};

const envelopes: Record<string, ClusterEnvelope> = {
  kick: { type: 'kick', sessionKey: 'client-1', epoch: 7, from: 'node-a:1883' },
  released: { type: 'released', sessionKey: 'client-1', epoch: 7, from: 'node-b:1883' },
  moved: { type: 'moved', sessionKey: 'client-1', epoch: 7, from: 'node-b:1883' },
  'relay with subscription ids': {
    type: 'relay',
    sessionKey: 'client-1',
    epoch: 7,
    message: message({ qos: 1 }),
    subscriptionIds: [1, 268_435_455],
  },
  'relay without subscription ids': { type: 'relay', sessionKey: 'c', epoch: 1, message: message() },
  'relay with its origin': {
    type: 'relay',
    sessionKey: 'c',
    epoch: 1,
    message: message(),
    origin: { node: 'node-c:1883', seq: 2 ** 40 + 17 },
  },
  'relay with subscription ids and its origin': {
    type: 'relay',
    sessionKey: 'c',
    epoch: 1,
    message: message({ qos: 1 }),
    subscriptionIds: [3],
    origin: { node: 'n', seq: 0 },
  },
  'publish with its seq': { type: 'publish', message: message(), direct: true, seq: 2 ** 41 + 3 },
  'publish to share groups with its seq': {
    type: 'publish',
    message: message(),
    direct: false,
    groups: [{ filter: 'a/+', share: 'g1' }],
    seq: 1,
  },
  ping: { type: 'ping', sessionKey: '$device/7', id: 3, from: 'node-b', message: message({ qos: 1 }) },
  'pong with a round trip': { type: 'pong', id: 3, rttMs: 8.4, from: 'node-a' },
  'pong unanswered': { type: 'pong', id: 3, from: 'node-a' },
  'kick with an empty session key and epoch 0': { type: 'kick', sessionKey: '', epoch: 0, from: 'n' },
  'publish without groups': { type: 'publish', message: message(), direct: true },
  'publish with empty groups': { type: 'publish', message: message(), direct: true, groups: [] },
  'publish to share groups only': {
    type: 'publish',
    message: message(),
    direct: false,
    groups: [
      { filter: 'a/+', share: 'g1' },
      { filter: '#', share: 'g2' },
    ],
  },
  'publish with a group route without share': {
    type: 'publish',
    message: message(),
    direct: false,
    groups: [{ filter: 'x' }],
  },
};
for (const [name, m] of Object.entries(messages)) {
  envelopes[`publish: ${name}`] = { type: 'publish', message: m, direct: true };
  envelopes[`deliver: ${name}`] = { type: 'deliver', sessionKey: 'device/42', message: m };
  envelopes[`retained: ${name}`] = { type: 'retained', message: m };
}

describe('cluster envelope codec', () => {
  for (const [name, envelope] of Object.entries(envelopes)) {
    test(`round-trips exactly: ${name}`, () => {
      assert.deepStrictEqual(decodeEnvelope(encodeEnvelope(envelope)), envelope);
    });
  }

  test('a will frame round-trips exactly, and is not an envelope', () => {
    for (const m of Object.values(messages)) assert.deepStrictEqual(decodeMessageFrame(encodeMessage(m)), m);
    assert.throws(() => decodeEnvelope(encodeMessage(message())), EnvelopeDecodeError);
    assert.throws(
      () => decodeMessageFrame(encodeEnvelope({ type: 'retained', message: message() })),
      EnvelopeDecodeError,
    );
  });

  test('a typical message costs little besides its topic and payload (binary fields)', () => {
    const payload = Buffer.from('21.5');
    const encoded = encodeEnvelope({
      type: 'publish',
      message: message({ payload, topic: 'devices/1/up', publisherId: 'device-1' }),
      direct: true,
    });
    // format, type, flags, message flags, createdAt, two length-prefixed strings
    assert.equal(encoded.length, 1 + 1 + 1 + 1 + 8 + (4 + 12) + (4 + 8) + payload.length);
  });

  test('onAcknowledged is a local callback and is never serialised', () => {
    const withCallback = message({ onAcknowledged: () => undefined });
    const decoded = decodeEnvelope(
      encodeEnvelope({ type: 'deliver', sessionKey: 's', message: withCallback }),
    );
    assert.equal(decoded.type, 'deliver');
    assert.ok(decoded.type === 'deliver' && !('onAcknowledged' in decoded.message));
  });

  test('the payload travels raw: a 1 KiB payload costs the header only, not base64', () => {
    const payload = randomBytes(1024);
    const encoded = encodeEnvelope({
      type: 'publish',
      message: message({ payload, topic: 'devices/1/up' }),
      direct: true,
    });
    assert.ok(encoded.length < payload.length + 100, `encoded size ${encoded.length}`);
    assert.ok(encoded.subarray(encoded.length - payload.length).equals(payload));
  });

  test('the encoding is a copy: changing the payload afterwards does not change the envelope', () => {
    const payload = Buffer.from('original');
    const encoded = encodeEnvelope({ type: 'publish', message: message({ payload }), direct: true });
    payload.fill(0);
    const decoded = decodeEnvelope(encoded);
    assert.ok(decoded.type === 'publish' && decoded.message.payload.toString() === 'original');
  });

  test('the decoded payload and correlation data do not share memory with the input', () => {
    const encoded = encodeEnvelope({
      type: 'publish',
      message: message({ properties: { correlationData: Buffer.from('cd') } }),
      direct: true,
    });
    const decoded = decodeEnvelope(encoded);
    encoded.fill(0);
    assert.ok(decoded.type === 'publish');
    assert.equal(decoded.message.payload.toString(), 'hello');
    assert.equal(decoded.message.properties.correlationData?.toString(), 'cd');
  });
});

function framed(header: unknown, body: Buffer = Buffer.alloc(0), format = 1): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(format, 0);
  prefix.writeUInt32BE(json.length, 1);
  return Buffer.concat([prefix, json, body]);
}

const m = { tp: 't', q: 0, r: false, c: 1 };
const garbled: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'shorter than the prefix': Buffer.from([1, 0, 0]),
  'unknown format byte': framed({ t: 'kick', s: 's', ep: 1, f: 'n' }, undefined, 3),
  'header length past the end': Buffer.from([1, 0xff, 0xff, 0xff, 0xff, 0x7b]),
  'header not JSON': framed('{not json'),
  'header not UTF-8 JSON': framed(Buffer.from([0xff, 0xfe]).toString('latin1')),
  'header is an array': framed([1, 2]),
  'header is null': framed('null'),
  'unknown type': framed({ t: 'explode' }),
  'kick without epoch': framed({ t: 'kick', s: 's', f: 'n' }),
  'kick with a string epoch': framed({ t: 'kick', s: 's', ep: '1', f: 'n' }),
  'kick with trailing bytes': framed({ t: 'kick', s: 's', ep: 1, f: 'n' }, Buffer.from('x')),
  'pong with a string round trip': framed({ t: 'pong', i: 1, r: '8', f: 'n' }),
  'pong with trailing bytes': framed({ t: 'pong', i: 1, f: 'n' }, Buffer.from('x')),
  'ping without id': framed({ t: 'ping', s: 's', f: 'n', m: { tp: 't', q: 1, r: false, c: 1 } }),
  'released without from': framed({ t: 'released', s: 's', ep: 1 }),
  'moved without epoch': framed({ t: 'moved', s: 's', f: 'n' }),
  'relay without epoch': framed({ t: 'relay', s: 's', m }),
  'relay with subscription ids not numbers': framed({ t: 'relay', s: 's', ep: 1, si: ['1'], m }),
  'publish without message': framed({ t: 'publish', d: true }),
  'publish with a non-boolean direct': framed({ t: 'publish', d: 1, m }),
  'publish with groups not a list': framed({ t: 'publish', d: true, g: {}, m }),
  'publish with a group lacking filter': framed({ t: 'publish', d: true, g: [{ share: 'x' }], m }),
  'deliver without session key': framed({ t: 'deliver', m }),
  'message with QoS 3': framed({ t: 'deliver', s: 's', m: { ...m, q: 3 } }),
  'message with a numeric topic': framed({ t: 'deliver', s: 's', m: { ...m, tp: 1 } }),
  'message with retain as string': framed({ t: 'deliver', s: 's', m: { ...m, r: 'no' } }),
  'message without createdAt': framed({ t: 'deliver', s: 's', m: { tp: 't', q: 0, r: false } }),
  'message with expiresAt as string': framed({ t: 'deliver', s: 's', m: { ...m, e: '5' } }),
  'message with publisherId as number': framed({ t: 'deliver', s: 's', m: { ...m, p: 5 } }),
  'properties not an object': framed({ t: 'deliver', s: 's', m: { ...m, pr: 'x' } }),
  'contentType as number': framed({ t: 'deliver', s: 's', m: { ...m, pr: { contentType: 1 } } }),
  'userProperties with a numeric value': framed({
    t: 'deliver',
    s: 's',
    m: { ...m, pr: { userProperties: { a: 1 } } },
  }),
  'correlation length past the end': framed(
    { t: 'deliver', s: 's', m: { ...m, cd: 10 } },
    Buffer.from('abc'),
  ),
  'negative correlation length': framed({ t: 'deliver', s: 's', m: { ...m, cd: -1 } }),
};

describe('cluster envelope codec: untrusted bytes', () => {
  for (const [name, bytes] of Object.entries(garbled)) {
    test(`throws EnvelopeDecodeError, never anything else: ${name}`, () => {
      assert.throws(() => decodeEnvelope(bytes), EnvelopeDecodeError);
    });
  }

  test('random bytes and truncations of valid envelopes throw only EnvelopeDecodeError', () => {
    const valid = encodeEnvelope(envelopes['publish: every property at once'] as ClusterEnvelope);
    const inputs = [
      ...Array.from({ length: 2000 }, () => randomBytes(Math.floor(Math.random() * 64))),
      ...Array.from({ length: 200 }, () => Buffer.concat([Buffer.from([1]), randomBytes(40)])),
      // Format 2, each type code and a few beyond, random fields.
      ...Array.from({ length: 2400 }, (_, i) =>
        Buffer.concat([Buffer.from([2, i % 12]), randomBytes(i % 80)]),
      ),
      ...Array.from({ length: Math.min(valid.length, 400) }, (_, i) => valid.subarray(0, i)),
    ];
    for (const input of inputs) {
      try {
        decodeEnvelope(input);
      } catch (error) {
        assert.ok(error instanceof EnvelopeDecodeError, `unexpected ${String(error)}`);
      }
    }
  });
});

/** Format 2 bytes built by hand: [2][type][fields…]. */
function binary(...parts: Array<number[] | Buffer>): Buffer {
  return Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part))));
}
function str(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
function f64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return bytes;
}
/** Message fields: flags, createdAt 1, topic "t". */
const plainMessage = (flags = 1) => binary([flags], f64(1), str('t'));

describe('cluster envelope codec: format 2 rejects what it did not write', () => {
  const cases: Record<string, Buffer> = {
    'unknown type 99': binary([2, 99]),
    'type 0': binary([2, 0]),
    'kick with trailing bytes': binary([2, 4], str('s'), f64(1), str('n'), [0]),
    'kick with a NaN epoch': binary([2, 4], str('s'), f64(Number.NaN), str('n')),
    'kick with an infinite epoch': binary([2, 4], str('s'), f64(Number.POSITIVE_INFINITY), str('n')),
    'pong with trailing bytes': binary([2, 9], f64(1), [0], str('n'), [7]),
    'pong with presence byte 2': binary([2, 9], f64(1), [2], str('n')),
    'publish with unknown flags': binary([2, 1, 8], plainMessage()),
    'publish with its seq cut short': binary([2, 1, 5], [0, 0, 0]),
    'relay with unknown flags': binary([2, 7], str('s'), f64(1), [4], plainMessage()),
    'relay with an origin node length past the end': binary([2, 7], str('s'), f64(1), [2, 0, 0, 0, 9], [1]),
    'message with QoS 3': binary([2, 3], plainMessage(3)),
    'message with an unknown flag': binary([2, 3], plainMessage(0x81)),
    'string length past the end': binary([2, 2, 0, 0, 1, 0], Buffer.from('short')),
    'correlation length past the end': binary([2, 3, 0x21], f64(1), str('t'), [0, 0, 0, 9], [1, 2]),
    'format indicator value without the indicator': binary([2, 3, 0x40], f64(1), str('t'), [0x02]),
    'unknown property flag': binary([2, 3, 0x40], f64(1), str('t'), [0x20]),
    'user property count past the end': binary(
      [2, 3, 0x40],
      f64(1),
      str('t'),
      [0x10, 0xff, 0xff, 0xff, 0xff],
    ),
    'user property with shape byte 2': binary(
      [2, 3, 0x40],
      f64(1),
      str('t'),
      [0x10, 0, 0, 0, 1],
      str('k'),
      [2],
    ),
    'relay with subscription id count past the end': binary(
      [2, 7],
      str('s'),
      f64(1),
      [1, 0, 0, 0, 9],
      f64(1),
    ),
    'publish with a group count past the end': binary([2, 1, 3, 0, 0, 0, 5], str('a'), [0]),
    'a will frame read as an envelope of type 10': binary([2, 10], plainMessage()),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    test(`throws EnvelopeDecodeError, never anything else: ${name}`, () => {
      assert.throws(() => decodeEnvelope(bytes), EnvelopeDecodeError);
    });
  }

  test('every truncation of every valid envelope throws only EnvelopeDecodeError', () => {
    for (const [name, envelope] of Object.entries(envelopes)) {
      const encoded = encodeEnvelope(envelope);
      for (let end = 0; end < Math.min(encoded.length, 300); end++) {
        try {
          decodeEnvelope(encoded.subarray(0, end));
        } catch (error) {
          assert.ok(error instanceof EnvelopeDecodeError, `${name} cut at ${end}: ${String(error)}`);
        }
      }
    }
  });
});

describe('cluster envelope codec: format 1 of the previous version is still read', () => {
  test('an inbox entry a previous node wrote decodes to the same envelope', () => {
    const header = { t: 'publish', d: true, m: { tp: 'a/b', q: 1, r: false, c: 5, p: 'dev' } };
    assert.deepStrictEqual(decodeEnvelope(framed(header, Buffer.from('hi'))), {
      type: 'publish',
      direct: true,
      message: {
        topic: 'a/b',
        payload: Buffer.from('hi'),
        qos: 1,
        retain: false,
        properties: {},
        createdAt: 5,
        publisherId: 'dev',
      },
    });
    assert.deepStrictEqual(decodeEnvelope(framed({ t: 'kick', s: 's', ep: 3, f: 'n' })), {
      type: 'kick',
      sessionKey: 's',
      epoch: 3,
      from: 'n',
    });
  });

  test('a will a previous node kept in the ownership table decodes to the same message', () => {
    const will = framed({ t: 'message', m: { tp: 'lwt', q: 1, r: true, c: 9 } }, Buffer.from('gone'));
    assert.deepStrictEqual(decodeMessageFrame(will), {
      topic: 'lwt',
      payload: Buffer.from('gone'),
      qos: 1,
      retain: true,
      properties: {},
      createdAt: 9,
    });
  });
});
