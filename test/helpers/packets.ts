import { frame, mqttString } from './frames.js';

/** Fields of a hand-built CONNECT, for cases mqtt-packet refuses to encode. */
export interface RawConnect {
  readonly protocolName?: string;
  readonly level?: number;
  /** The whole Connect Flags byte; default 0x02 (clean). */
  readonly flags?: number;
  readonly keepalive?: number;
  readonly clientId?: string;
  /** v5 properties block, already length-prefixed; default empty (0x00) for level 5. */
  readonly properties?: Buffer;
  /** Raw payload bytes after the client id (will, user name, password), when flags ask for them. */
  readonly rest?: Buffer;
}

/** Hand-built CONNECT [MQTT-3.1]. */
export function connectBytes(c: RawConnect = {}): Buffer {
  const level = c.level ?? 4;
  const head = Buffer.concat([
    mqttString(c.protocolName ?? 'MQTT'),
    Buffer.from([level, c.flags ?? 0x02, ((c.keepalive ?? 0) >> 8) & 0xff, (c.keepalive ?? 0) & 0xff]),
  ]);
  const props = level === 5 ? (c.properties ?? Buffer.from([0])) : Buffer.alloc(0);
  return frame(
    0x10,
    Buffer.concat([head, props, mqttString(c.clientId ?? 'raw-connect'), c.rest ?? Buffer.alloc(0)]),
  );
}

/** Fields of a hand-built PUBLISH. */
export interface RawPublish {
  readonly version: 4 | 5;
  readonly topic: string | Buffer;
  readonly qos?: number;
  readonly id?: number;
  /** Extra fixed-header flag bits (DUP 0x08, RETAIN 0x01), OR'ed with the QoS bits. */
  readonly flags?: number;
  /** v5 properties block, already length-prefixed; default empty. */
  readonly properties?: Buffer;
  readonly payload?: Buffer | string;
}

/** Hand-built PUBLISH [MQTT-3.3]; QoS may be 3 and the topic any bytes. */
export function publishBytes(p: RawPublish): Buffer {
  const qos = p.qos ?? 0;
  const id = Buffer.alloc(qos > 0 ? 2 : 0);
  if (qos > 0) id.writeUInt16BE(p.id ?? 1);
  const props = p.version === 5 ? (p.properties ?? Buffer.from([0])) : Buffer.alloc(0);
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : (p.payload ?? Buffer.alloc(0));
  const first = 0x30 | ((qos & 0x03) << 1) | (p.flags ?? 0);
  return frame(first, Buffer.concat([mqttString(p.topic), id, props, payload]));
}

/** Hand-built SUBSCRIBE [MQTT-3.8]: each entry is a filter and its raw options byte. */
export function subscribeBytes(
  version: 4 | 5,
  id: number,
  entries: ReadonlyArray<readonly [string | Buffer, number]>,
  options: { firstByte?: number; properties?: Buffer } = {},
): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(id);
  const props = version === 5 ? (options.properties ?? Buffer.from([0])) : Buffer.alloc(0);
  const body = entries.map(([filter, opts]) => Buffer.concat([mqttString(filter), Buffer.from([opts])]));
  return frame(options.firstByte ?? 0x82, Buffer.concat([head, props, ...body]));
}

/** Hand-built UNSUBSCRIBE [MQTT-3.10]. */
export function unsubscribeBytes(
  version: 4 | 5,
  id: number,
  filters: readonly string[],
  firstByte = 0xa2,
): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(id);
  const props = version === 5 ? Buffer.from([0]) : Buffer.alloc(0);
  return frame(firstByte, Buffer.concat([head, props, ...filters.map((f) => mqttString(f))]));
}

/** A v5 properties block from raw property bytes: Variable Byte Integer length + bytes. */
export function propertiesBlock(...bytes: number[]): Buffer {
  if (bytes.length > 127) throw new Error('propertiesBlock supports up to 127 bytes');
  return Buffer.from([bytes.length, ...bytes]);
}
