/** Mutation operators: on one packet's bytes, and on the order and content of a whole session. */
import { connectPacket, encode, type Session, type Version } from './corpus.js';
import { withOddPayload } from './payloads.js';
import type { Prng } from './prng.js';
import { badUtf8, propertiesBlock } from './properties.js';
import { PUBLISH, packetIdOffset, parts, refit, withProperties, wrongLength } from './wire.js';

type PacketMutation = (prng: Prng, packet: Buffer, version: Version) => Buffer;

function flipBits(prng: Prng, bytes: Buffer, from: number): Buffer {
  const out = Buffer.from(bytes);
  if (out.length <= from) return out;
  for (let i = prng.between(1, 8); i > 0; i -= 1)
    out[prng.between(from, out.length - 1)]! ^= 1 << prng.below(8);
  return out;
}

/** Applies `change` to the body and refits the Remaining Length, so the damage reaches the decoder. */
function inBody(packet: Buffer, change: (body: Buffer) => Buffer): Buffer {
  const split = parts(packet);
  return split === undefined ? packet : refit(split.first, change(split.body));
}

const bitFlip: PacketMutation = (prng, packet) => flipBits(prng, packet, 0);

const bodyBitFlip: PacketMutation = (prng, packet) => inBody(packet, (body) => flipBits(prng, body, 0));

const truncate: PacketMutation = (prng, packet) => packet.subarray(0, prng.below(packet.length));

const truncateRefit: PacketMutation = (prng, packet) =>
  inBody(packet, (body) => body.subarray(0, prng.below(body.length + 1)));

const insert: PacketMutation = (prng, packet) =>
  inBody(packet, (body) => {
    const at = prng.below(body.length + 1);
    return Buffer.concat([body.subarray(0, at), prng.bytes(prng.between(1, 16)), body.subarray(at)]);
  });

const duplicateRange: PacketMutation = (prng, packet) =>
  inBody(packet, (body) => {
    const start = prng.below(body.length + 1);
    const end = prng.between(start, body.length);
    return Buffer.concat([body.subarray(0, end), body.subarray(start, end), body.subarray(end)]);
  });

/** Reserved fixed-header flags [MQTT-2.2.2-1/2]: random low nibble. */
const reservedFlags: PacketMutation = (prng, packet) => {
  const out = Buffer.from(packet);
  if (out.length > 0) out[0] = (out[0]! & 0xf0) | prng.below(16);
  return out;
};

/** Another packet type (0 and 15 included) with the same body. */
const typeSwap: PacketMutation = (prng, packet) => {
  const out = Buffer.from(packet);
  if (out.length > 0) out[0] = (prng.below(16) << 4) | (prng.chance(0.5) ? out[0]! & 0x0f : prng.below(16));
  return out;
};

const badRemainingLength: PacketMutation = (prng, packet) => {
  const split = parts(packet);
  if (split === undefined) return packet;
  const length = wrongLength(prng.below(6), split.body.length, prng.nextUint32());
  return Buffer.concat([Buffer.from([split.first]), length, split.body]);
};

/** Bad UTF-8 inside a printable run (most likely a topic, client id or user name). */
const brokenUtf8: PacketMutation = (prng, packet) =>
  inBody(packet, (body) => {
    const printable: number[] = [];
    for (let i = 0; i < body.length; i += 1) if (body[i]! >= 0x21 && body[i]! < 0x7f) printable.push(i);
    if (printable.length === 0) return body;
    const at = prng.pick(printable);
    const bad = badUtf8(prng);
    // Same length, so string length prefixes stay right and only the encoding is wrong.
    return Buffer.concat([
      body.subarray(0, at),
      bad.subarray(0, body.length - at),
      body.subarray(at + bad.length),
    ]);
  });

const craftedProperties: PacketMutation = (prng, packet, version) =>
  version === 5 || prng.chance(0.1) ? (withProperties(packet, propertiesBlock(prng)) ?? packet) : packet;

/** QoS 3 [MQTT-3.3.1-4]: on a PUBLISH header, or in a SUBSCRIBE's options bytes. */
const qos3: PacketMutation = (prng, packet) => {
  const out = Buffer.from(packet);
  if (out.length === 0) return out;
  if (out[0]! >> 4 === PUBLISH || prng.chance(0.3)) out[0] = out[0]! | 0x06;
  else out[out.length - 1] = out[out.length - 1]! | (prng.chance(0.5) ? 0x03 : 0xc3);
  return out;
};

/** Packet identifier 0 [MQTT-2.2.1-3]. */
const packetIdZero: PacketMutation = (_prng, packet) =>
  inBody(packet, (body) => {
    const split = parts(packet)!;
    const at = packetIdOffset(split.first, body);
    if (at === undefined || at + 2 > body.length) return body;
    const out = Buffer.from(body);
    out.writeUInt16BE(0, at);
    return out;
  });

const PACKET_MUTATIONS: ReadonlyArray<readonly [number, PacketMutation]> = [
  [6, bitFlip],
  [8, bodyBitFlip],
  [3, truncate],
  [6, truncateRefit],
  [4, insert],
  [3, duplicateRange],
  [4, reservedFlags],
  [4, typeSwap],
  [4, badRemainingLength],
  [5, brokenUtf8],
  [7, craftedProperties],
  [3, qos3],
  [3, packetIdZero],
  [8, withOddPayload],
];

type SessionMutation = (prng: Prng, session: Session) => void;

function randomIndex(prng: Prng, session: Session): number {
  return prng.below(session.packets.length);
}

const mutateOnePacket: SessionMutation = (prng, session) => {
  if (session.packets.length === 0) return;
  const at = randomIndex(prng, session);
  session.packets[at] = prng.weighted(PACKET_MUTATIONS)(prng, session.packets[at]!, session.version);
};

/** Packets before CONNECT [MQTT-3.1.0-1]: drop it, or move it later. */
const connectLater: SessionMutation = (prng, session) => {
  const [connect, ...rest] = session.packets;
  if (connect === undefined) return;
  if (prng.chance(0.5)) rest.splice(prng.below(rest.length + 1), 0, connect);
  session.packets = rest;
};

/** A second CONNECT [MQTT-3.1.0-2], of any version or of an unknown protocol level. */
const secondConnect: SessionMutation = (prng, session) => {
  const version = prng.pick([3, 4, 5] as const);
  let bytes = encode(connectPacket(prng, version, session.login), version);
  if (bytes === undefined) return;
  if (prng.chance(0.3)) {
    bytes = Buffer.from(bytes);
    const levelAt = bytes.indexOf(version === 3 ? 'MQIsdp' : 'MQTT') + (version === 3 ? 6 : 4);
    bytes[levelAt] = prng.pick([0, 2, 6, 7, 0x83, 0xff]);
  }
  session.packets.splice(prng.between(1, session.packets.length), 0, bytes);
};

const duplicatePacket: SessionMutation = (prng, session) => {
  if (session.packets.length === 0) return;
  const at = randomIndex(prng, session);
  const copies = prng.chance(0.1) ? prng.between(10, 60) : 1;
  session.packets.splice(at, 0, ...Array<Buffer>(copies).fill(session.packets[at]!));
};

const swapPackets: SessionMutation = (prng, session) => {
  if (session.packets.length < 2) return;
  const a = randomIndex(prng, session);
  const b = randomIndex(prng, session);
  [session.packets[a], session.packets[b]] = [session.packets[b]!, session.packets[a]!];
};

/** Random bytes as a whole "packet". */
const garbage: SessionMutation = (prng, session) => {
  session.packets.splice(prng.below(session.packets.length + 1), 0, prng.bytes(prng.between(1, 64)));
};

const SESSION_MUTATIONS: ReadonlyArray<readonly [number, SessionMutation]> = [
  [30, mutateOnePacket],
  [3, connectLater],
  [3, secondConnect],
  [3, duplicatePacket],
  [2, swapPackets],
  [1, garbage],
];

/** Mutates the session in place: 0 to 4 mutations (about one session in eight stays valid). */
export function mutateSession(prng: Prng, session: Session): void {
  const count = prng.weighted([
    [1, 0],
    [4, 1],
    [2, 2],
    [1, 4],
  ]);
  for (let i = 0; i < count; i += 1) prng.weighted(SESSION_MUTATIONS)(prng, session);
}

/** Cuts the stream at random points: one chunk, per-packet chunks, or arbitrary splits (bytes too). */
export function chunkStream(prng: Prng, packets: readonly Buffer[]): Buffer[] {
  const stream = Buffer.concat(packets);
  switch (prng.below(4)) {
    case 0:
      return [stream];
    case 1:
      return packets.filter((p) => p.length > 0);
    default: {
      const chunks: Buffer[] = [];
      // At most about 300 chunks, so a long payload is not sent a byte at a time.
      const least = Math.ceil(stream.length / 300);
      let at = 0;
      while (at < stream.length) {
        const size = prng.chance(0.3) ? least : prng.between(least, Math.max(least, 200));
        chunks.push(stream.subarray(at, at + size));
        at += size;
      }
      return chunks;
    }
  }
}
