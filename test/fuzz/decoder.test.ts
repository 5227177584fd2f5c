import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Packet } from 'mqtt-packet';
import { PacketDecoder } from '../../src/mqtt/codec/decoder.js';
import { MqttError } from '../../src/mqtt/codec/errors.js';
import { splitFrames } from '../helpers/frames.js';
import { decodeFrame } from '../helpers/raw-client.js';
import { buildCase, type FuzzCase, placeholderLogins } from './cases.js';

/**
 * The same mutated sessions as the process-level fuzz, fed straight to the decoder: thousands of
 * cases a second, with oracles a socket cannot see.
 */
const SEED = 20_261_207;
const CASES = 8000;
const MAX_PACKET = 1024 * 1024;
/** The packets the decoder parses itself (fast-path.ts) rather than through mqtt-packet. */
const FAST_PATH = new Set(['publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'pingreq']);

interface Decoded {
  readonly packets: Packet[];
  readonly error?: unknown;
}

function decode(
  chunks: readonly Buffer[],
  decoder = new PacketDecoder({ maxPacketSize: MAX_PACKET }),
): Decoded {
  const packets: Packet[] = [];
  try {
    for (const chunk of chunks) packets.push(...decoder.push(chunk));
    return { packets };
  } catch (error) {
    return { packets, error };
  }
}

/** Comparable text: buffers as hex, mqtt-packet's `length` left out. */
function text(value: unknown): string {
  return JSON.stringify(value, (key, v) =>
    key === 'length' ? undefined : v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v,
  );
}

function outcome(decoded: Decoded): string {
  if (decoded.error === undefined) return text(decoded.packets);
  return `error 0x${(decoded.error as MqttError).reasonCode.toString(16)}`;
}

/** After a CONNECT that decodes, each fast-path packet must equal mqtt-packet's reading of its frame. */
function fastPathMismatch(fuzzCase: FuzzCase): string | undefined {
  const [connect, ...rest] = fuzzCase.packets;
  const decoder = new PacketDecoder({ maxPacketSize: MAX_PACKET });
  if (connect === undefined || decode([connect], decoder).error !== undefined) return undefined;
  const version = decoder.protocolVersion;
  const stream = Buffer.concat(rest);
  const decoded = decode([stream], decoder);
  if (version === undefined || decoded.error !== undefined) return undefined;
  const { frames } = splitFrames(stream);
  for (const [i, packet] of decoded.packets.entries()) {
    if (!FAST_PATH.has(packet.cmd)) continue;
    const expected = decodeFrame(frames[i]!, version);
    if (text(packet) !== text(expected))
      return `${frames[i]!.toString('hex')}: ${text(packet)} vs ${text(expected)}`;
  }
  return undefined;
}

describe('Decoder fuzz (in process, same corpus and mutations)', () => {
  test(`${CASES} mutated sessions: only MqttErrors (no TypeError/RangeError inside), whole stream and random chunks decode alike, fast paths agree with mqtt-packet`, () => {
    const logins = placeholderLogins();
    const problems: string[] = [];
    for (let index = 0; index < CASES && problems.length < 5; index += 1) {
      const fuzzCase = buildCase(SEED, index, logins);
      const whole = decode([Buffer.concat(fuzzCase.packets)]);
      const chunked = decode(fuzzCase.chunks);
      for (const { error } of [whole, chunked]) {
        if (error === undefined) continue;
        if (!(error instanceof MqttError)) problems.push(`case ${index}: threw ${String(error)}`);
        const cause = (error as Error).cause;
        if (cause instanceof TypeError || cause instanceof RangeError)
          problems.push(`case ${index}: ${cause.stack?.split('\n').slice(0, 3).join(' ')}`);
      }
      if (outcome(whole) !== outcome(chunked)) problems.push(`case ${index}: chunking changed the result`);
      const mismatch = fastPathMismatch(fuzzCase);
      if (mismatch !== undefined) problems.push(`case ${index}: fast path differs: ${mismatch}`);
    }
    assert.deepEqual(problems, []);
  });

  // Found by this fuzz: the 2-byte ack fast path read the packet identifier at offset 2, wrong when
  // the Remaining Length is encoded in more bytes than needed (0x82 0x80 0x00 = 2).
  for (const [name, first] of [
    ['PUBACK', 0x40],
    ['PUBREC', 0x50],
    ['PUBREL', 0x62],
    ['PUBCOMP', 0x70],
  ] as const) {
    test(`${name} with a non-minimal Remaining Length [MQTT-1.5.5]: the packet identifier is read after the whole fixed header`, () => {
      for (const version of [4, 5] as const) {
        const decoder = new PacketDecoder({ maxPacketSize: MAX_PACKET, protocolVersion: version });
        const [packet] = decoder.push(Buffer.from([first, 0x82, 0x80, 0x00, 0x00, 0x05]));
        assert.equal((packet as { messageId?: number }).messageId, 5);
        assert.equal(
          text(packet),
          text(decodeFrame(Buffer.from([first, 0x82, 0x80, 0x00, 0x00, 0x05]), version)),
        );
      }
    });
  }
});
