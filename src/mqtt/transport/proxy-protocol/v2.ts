import { crc32c } from './crc32c.js';
import { ipv6Text } from './ipv6-text.js';
import { INCOMPLETE, MAX_V2_BYTES, type ProxyEndpoint, type ProxyParse, refused } from './result.js';

/** The 12 bytes every v2 header starts with (proxy-protocol.txt §2.2). */
export const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const FIXED_BYTES = 16;
const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
/** Address family (high nibble) and transport (low nibble) of byte 13. */
const FAMILY_UNSPEC = 0x00;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;
const IPV4_BLOCK = 12;
const IPV6_BLOCK = 36;
const TLV_HEAD = 3;
const PP2_TYPE_CRC32C = 0x03;

function ipv4At(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

function ipv6At(bytes: Uint8Array, at: number): string {
  return ipv6Text(bytes, at);
}

function portAt(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function endpoints(
  bytes: Uint8Array,
  family: 'IPv4' | 'IPv6',
): { source: ProxyEndpoint; destination: ProxyEndpoint } {
  const at = FIXED_BYTES;
  const size = family === 'IPv4' ? 4 : 16;
  const read = family === 'IPv4' ? ipv4At : ipv6At;
  const ports = at + 2 * size;
  return {
    source: { address: read(bytes, at), port: portAt(bytes, ports), family },
    destination: { address: read(bytes, at + size), port: portAt(bytes, ports + 2), family },
  };
}

/**
 * Walks the TLVs between the address block and the header's end: each must fit, and a CRC32C
 * one must match the header (computed with its own value zeroed). Others are ignored.
 */
function checkTlvs(header: Uint8Array, from: number): string | undefined {
  let at = from;
  while (at < header.length) {
    if (at + TLV_HEAD > header.length) return 'v2 TLV header truncated';
    const length = (header[at + 1]! << 8) | header[at + 2]!;
    const end = at + TLV_HEAD + length;
    if (end > header.length) return 'v2 TLV longer than the header';
    if (header[at] === PP2_TYPE_CRC32C) {
      if (length !== 4) return 'v2 CRC32C TLV is not 4 bytes';
      const expected = Buffer.from(header.subarray(at + TLV_HEAD, end)).readUInt32BE(0);
      const zeroed = Buffer.from(header);
      zeroed.fill(0, at + TLV_HEAD, end);
      if (crc32c(zeroed) !== expected) return 'v2 CRC32C mismatch';
    }
    at = end;
  }
  return undefined;
}

/** The addresses of a PROXY command, by family; AF_UNIX, datagrams and unknown families are refused. */
function proxied(header: Uint8Array, familyByte: number): ProxyParse {
  const consumed = header.length;
  const block = consumed - FIXED_BYTES;
  if (familyByte === FAMILY_UNSPEC) return { status: 'complete', header: { version: 2 }, consumed };
  const family = familyByte === TCP_OVER_IPV4 ? 'IPv4' : familyByte === TCP_OVER_IPV6 ? 'IPv6' : undefined;
  if (family === undefined) return refused(`v2 family/transport 0x${familyByte.toString(16)} not accepted`);
  const needed = family === 'IPv4' ? IPV4_BLOCK : IPV6_BLOCK;
  if (block < needed) return refused(`v2 ${family} address block shorter than ${needed} bytes`);
  const tlvError = checkTlvs(header, FIXED_BYTES + needed);
  if (tlvError !== undefined) return refused(tlvError);
  return { status: 'complete', header: { version: 2, ...endpoints(header, family) }, consumed };
}

/** A v2 header; `bytes` starts with the full signature. */
export function parseProxyV2(bytes: Uint8Array): ProxyParse {
  if (bytes.length < FIXED_BYTES) return INCOMPLETE;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) return refused(`v2 version ${versionCommand >> 4} not supported`);
  const command = versionCommand & 0x0f;
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return refused(`v2 command ${command} unknown`);
  const total = FIXED_BYTES + ((bytes[14]! << 8) | bytes[15]!);
  if (total > MAX_V2_BYTES) return refused(`v2 header of ${total} bytes exceeds ${MAX_V2_BYTES}`);
  if (bytes.length < total) return INCOMPLETE;
  const header = bytes.subarray(0, total);
  // LOCAL: the balancer's own connection (health check); its address block is discarded unread.
  if (command === COMMAND_LOCAL) return { status: 'complete', header: { version: 2 }, consumed: total };
  return proxied(header, bytes[13]!);
}
