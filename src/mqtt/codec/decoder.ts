import { parser as createParser, type Parser } from 'mqtt-packet';
import { MalformedPacketError, MqttError, ProtocolError } from './errors.js';
import { decodeAckFast, decodePingFast, decodePublishFast } from './fast-path.js';
import { type FixedHeader, PacketType, readFixedHeader } from './fixed-header.js';
import type { ConnectPacket, Packet, ProtocolVersion, UserProperties } from './packet.js';
import { collectUserProperties, WILL_PROPERTIES } from './properties.js';
import { checkFixedHeader, validateBody } from './validate.js';
import { readProtocol, walkConnect } from './validate-connect.js';
import { WireReader } from './wire-reader.js';

/** mqtt-packet keeps the version in an untyped `settings`; its CONNECT parser overwrites it. */
type VersionedParser = Parser & { settings: { protocolVersion?: number; bridgeMode?: boolean } };

export interface DecoderOptions {
  /** Largest packet accepted, in bytes (fixed header included). */
  maxPacketSize: number;
  /** Known up front on the client side; a server decoder learns it from CONNECT. */
  protocolVersion?: ProtocolVersion;
}

/** A fixed header is at most 5 bytes: the type byte plus a 4-byte Remaining Length. */
const MAX_HEADER = 5;
const EMPTY = Buffer.alloc(0);

type Settings = VersionedParser['settings'];
/** Settings are only ever copied (`#parseWith`), so one object per combination serves every decoder. */
const SHARED_SETTINGS: Readonly<Settings>[] = [];

function sharedSettings(protocolVersion?: ProtocolVersion, bridgeMode?: boolean): Readonly<Settings> {
  const key = (protocolVersion ?? 0) * 3 + (bridgeMode === undefined ? 0 : bridgeMode ? 1 : 2);
  const settings =
    SHARED_SETTINGS[key] ??
    Object.freeze({
      ...(protocolVersion === undefined ? {} : { protocolVersion }),
      ...(bridgeMode === undefined ? {} : { bridgeMode }),
    });
  SHARED_SETTINGS[key] = settings;
  return settings;
}

/**
 * Bytes in, packets out, for one connection. Each packet's fixed header is read here first so a
 * too-large packet fails before its body is buffered; the exact packet bytes are then checked
 * (validate.ts) and handed to one mqtt-packet parser. Whole packets inside a chunk are parsed in
 * place, without copying. Any failure is an MqttError and is sticky: the connection must close.
 * Packets decoded earlier in the same failing chunk are dropped with it.
 */
export class PacketDecoder {
  #maxPacketSize: number;
  #version: ProtocolVersion | undefined;
  /**
   * What mqtt-packet needs to know between packets. Its parser (about 1.5 KB) is made per packet
   * that needs it, not kept: most packets take the fast path and idle connections stay small.
   */
  #settings: Readonly<Settings>;
  #failure: MqttError | undefined;
  /** A partial packet: bytes so far, and its header once complete. Bounded by maxPacketSize. */
  #pending: Buffer = EMPTY;
  #pendingLength = 0;
  #pendingHeader: FixedHeader | undefined;

  constructor(options: DecoderOptions) {
    this.#maxPacketSize = options.maxPacketSize;
    this.#version = options.protocolVersion;
    this.#settings = sharedSettings(this.#version);
  }

  /** True while the bytes of an incomplete packet are held (the connection bounds how long). */
  get holdsPartialPacket(): boolean {
    return this.#pendingLength > 0;
  }

  set maxPacketSize(bytes: number) {
    this.#maxPacketSize = bytes;
  }

  get maxPacketSize(): number {
    return this.#maxPacketSize;
  }

  /**
   * The version given to the constructor, or else the level of the first CONNECT, known as soon as
   * that level is read (so also after a CONNECT that fails further on).
   */
  get protocolVersion(): ProtocolVersion | undefined {
    return this.#version;
  }

  push(chunk: Buffer): Packet[] {
    if (this.#failure !== undefined) throw this.#failure;
    const out: Packet[] = [];
    try {
      const offset = this.#pendingLength > 0 ? this.#completePending(chunk, out) : 0;
      this.#scan(chunk, offset, out);
    } catch (err) {
      this.#failure = toMqttError(err);
      this.#pending = EMPTY;
      this.#pendingLength = 0;
      throw this.#failure;
    }
    return out;
  }

  /** Fast path: decode whole packets in place; keep a trailing partial packet. */
  #scan(chunk: Buffer, offset: number, out: Packet[]): void {
    while (offset < chunk.length) {
      const header = this.#readHeader(chunk, offset);
      if (header === undefined || chunk.length - offset < header.total) {
        this.#pendingHeader = header;
        this.#append(chunk.subarray(offset), header?.total ?? MAX_HEADER);
        return;
      }
      out.push(this.#decode(chunk, offset, header));
      offset += header.total;
    }
  }

  /** Feeds the pending packet from the chunk; returns how many chunk bytes it took. */
  #completePending(chunk: Buffer, out: Packet[]): number {
    let used = 0;
    if (this.#pendingHeader === undefined) {
      used = Math.min(chunk.length, MAX_HEADER - this.#pendingLength);
      this.#append(chunk.subarray(0, used), MAX_HEADER);
      const header = this.#readHeader(this.#pending.subarray(0, this.#pendingLength), 0);
      if (header === undefined) return used; // still no full header: the chunk was tiny
      const excess = this.#pendingLength - header.total; // e.g. a 2-byte PINGREQ
      if (excess > 0) {
        this.#pendingLength -= excess;
        used -= excess;
      }
      this.#pendingHeader = header;
    }
    const header = this.#pendingHeader;
    const take = Math.min(chunk.length - used, header.total - this.#pendingLength);
    this.#append(chunk.subarray(used, used + take), header.total);
    used += take;
    if (this.#pendingLength < header.total) return used;
    const bytes = this.#pending.subarray(0, header.total);
    // Never reuse the buffer: decoded payloads are views into it.
    this.#pending = EMPTY;
    this.#pendingLength = 0;
    this.#pendingHeader = undefined;
    out.push(this.#decode(bytes, 0, header));
    return used;
  }

  /** Appends to the pending buffer, growing it geometrically up to `limit` bytes. */
  #append(data: Buffer, limit: number): void {
    const needed = this.#pendingLength + data.length;
    if (needed > this.#pending.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, this.#pending.length * 2, 256), limit));
      this.#pending.copy(grown, 0, 0, this.#pendingLength);
      this.#pending = grown;
    }
    data.copy(this.#pending, this.#pendingLength);
    this.#pendingLength = needed;
  }

  #readHeader(buf: Buffer, offset: number): FixedHeader | undefined {
    const header = readFixedHeader(buf, offset, this.#maxPacketSize);
    if (header !== undefined) checkFixedHeader(header.type, header.flags, this.#version);
    return header;
  }

  #decode(buf: Buffer, offset: number, header: FixedHeader): Packet {
    const end = offset + header.total;
    const bytes = offset === 0 && end === buf.length ? buf : buf.subarray(offset, end);
    const r = new WireReader(bytes, header.headerLength, header.total);
    if (header.type !== PacketType.Connect) {
      const version = this.#version ?? 4;
      validateBody(r, header, version);
      // The per-message packets skip mqtt-packet's parser (fast-path.ts).
      const fast =
        header.type === PacketType.Publish
          ? decodePublishFast(bytes, header.headerLength, header.remainingLength, r.pos, version)
          : header.type >= PacketType.Puback && header.type <= PacketType.Pubcomp
            ? decodeAckFast(bytes, header.type, header.headerLength, header.remainingLength, version)
            : header.type === PacketType.Pingreq || header.type === PacketType.Pingresp
              ? decodePingFast(header.type)
              : undefined;
      if (fast !== undefined) return fast;
      // mqtt-packet rejects the empty 5.0 AUTH that means Success (MQTT 5.0 §3.15.2.1).
      if (header.type === PacketType.Auth && header.remainingLength === 0) {
        return { cmd: 'auth', reasonCode: 0 };
      }
      return fixUserProperties(this.#parse(bytes), r);
    }
    // The first CONNECT fixes the version, as soon as its level is read: a CONNECT malformed further
    // on can still be answered in the client's format. A second CONNECT is the channel's protocol
    // error [MQTT-3.1.0-2] and changes nothing.
    if (this.#version !== undefined) return this.#decodeSecondConnect(bytes, r);
    const version = readProtocol(r);
    this.#version = version;
    walkConnect(r, version);
    const { packet, settings } = this.#parseWith(bytes);
    // mqtt-packet keeps the whole CONNECT (password included) as its settings: keep only what it needs.
    this.#settings = sharedSettings(version, settings.bridgeMode === true);
    return fixUserProperties(packet, r);
  }

  /**
   * A well-formed second CONNECT goes to the channel; one that does not decode (say protocol level
   * 6 on a 5.0 connection) is reported as what it is, a second CONNECT [MQTT-3.1.0-2], never as an
   * unsupported version: the connection's version, not the new packet's, decides the answer.
   */
  #decodeSecondConnect(bytes: Buffer, r: WireReader): Packet {
    try {
      walkConnect(r, readProtocol(r));
      return fixUserProperties(this.#parse(bytes), r);
    } catch (err) {
      throw new ProtocolError('second CONNECT', { cause: err });
    }
  }

  #parse(bytes: Buffer): Packet {
    return this.#parseWith(bytes).packet;
  }

  /** One packet through a fresh mqtt-packet parser; also returns the settings it leaves behind. */
  #parseWith(bytes: Buffer): { packet: Packet; settings: Settings } {
    const parser = createParser({ ...this.#settings }) as VersionedParser;
    let parsed: Packet | undefined;
    let parseError: unknown;
    parser.on('packet', (packet) => {
      parsed = packet;
    });
    parser.on('error', (error) => {
      parseError = error;
    });
    let left: number;
    try {
      left = parser.parse(bytes);
    } catch (err) {
      throw new MalformedPacketError(`undecodable packet: ${describe(err)}`, { cause: err });
    }
    if (parseError !== undefined) {
      throw new MalformedPacketError(describe(parseError), { cause: parseError });
    }
    if (parsed === undefined || left !== 0) throw new MalformedPacketError('packet not fully parsed');
    return { packet: parsed, settings: parser.settings };
  }
}

/** Swaps in correctly merged User Properties where the walk flagged mqtt-packet's merge bug. */
function fixUserProperties(packet: Packet, r: WireReader): Packet {
  const fixes = r.userPropertyFixes;
  if (fixes === undefined) return packet;
  for (let i = 0; i < fixes.length; i += 2) {
    const userProperties = collectUserProperties(r.buf, fixes[i + 1]!);
    const target = (fixes[i] === WILL_PROPERTIES ? (packet as ConnectPacket).will : packet) as WithProperties;
    if (target.properties !== undefined) target.properties.userProperties = userProperties;
  }
  return packet;
}

type WithProperties = { properties?: { userProperties?: UserProperties } };

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toMqttError(err: unknown): MqttError {
  if (err instanceof MqttError) return err;
  return new MalformedPacketError(`undecodable packet: ${describe(err)}`, { cause: err });
}
