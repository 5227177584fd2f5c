import { isIPv4 } from 'node:net';
import { crc32c } from '../../src/mqtt/transport/proxy-protocol/crc32c.js';
import { V2_SIGNATURE } from '../../src/mqtt/transport/proxy-protocol/v2.js';

/** `PROXY TCP4|TCP6 src dst sport dport\r\n` for an address pair of one family. */
export function proxyV1(
  source: string,
  sourcePort: number,
  destination = '127.0.0.1',
  destinationPort = 1883,
): Buffer {
  const protocol = isIPv4(source) ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${protocol} ${source} ${destination} ${sourcePort} ${destinationPort}\r\n`,
    'latin1',
  );
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const bytes = Buffer.alloc(16);
  for (const [i, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16) || 0, i * 2);
  return bytes;
}

export interface V2Options {
  readonly command?: 'proxy' | 'local';
  /** Byte 13 as is, when a test wants a family the addresses do not say. */
  readonly familyByte?: number;
  /** Extra bytes after the address block (TLVs). */
  readonly tlvs?: Buffer;
  /** Appends a CRC32C TLV computed over the whole header (or this wrong value). */
  readonly crc?: true | number;
}

/** A v2 header (PROXY, TCP over IPv4 or IPv6) for the address pair; options bend it for tests. */
export function proxyV2(
  source: string,
  sourcePort: number,
  destination = isIPv4(source) ? '127.0.0.1' : '::1',
  destinationPort = 1883,
  options: V2Options = {},
): Buffer {
  const v4 = isIPv4(source);
  const addresses = v4
    ? Buffer.concat([
        Buffer.from(source.split('.').map(Number)),
        Buffer.from(destination.split('.').map(Number)),
      ])
    : Buffer.concat([ipv6Bytes(source), ipv6Bytes(destination)]);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(destinationPort, 2);
  const crcTlv = options.crc === undefined ? Buffer.alloc(0) : Buffer.from([0x03, 0x00, 0x04, 0, 0, 0, 0]);
  const body = Buffer.concat([addresses, ports, options.tlvs ?? Buffer.alloc(0), crcTlv]);
  const fixed = Buffer.alloc(4);
  fixed[0] = options.command === 'local' ? 0x20 : 0x21;
  fixed[1] = options.familyByte ?? (v4 ? 0x11 : 0x21);
  fixed.writeUInt16BE(body.length, 2);
  const header = Buffer.concat([V2_SIGNATURE, fixed, body]);
  if (options.crc !== undefined) {
    const value = options.crc === true ? crc32c(header) : options.crc;
    header.writeUInt32BE(value, header.length - 4);
  }
  return header;
}
