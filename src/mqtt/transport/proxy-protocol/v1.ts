import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import { INCOMPLETE, MAX_V1_BYTES, type ProxyEndpoint, type ProxyParse, refused } from './result.js';

const CR = 0x0d;
const LF = 0x0a;
/** A port is 0-65535 written without leading zeros (proxy-protocol.txt §2.1). */
const PORT = /^(0|[1-9]\d{0,4})$/;

/** The CRLF-terminated line, or where it must have ended by. */
function findLineEnd(bytes: Uint8Array): number | 'incomplete' | 'too long' | 'bare CR' {
  const limit = Math.min(bytes.length, MAX_V1_BYTES);
  for (let i = 0; i < limit; i++) {
    if (bytes[i] === LF) return 'bare CR'; // an LF without its CR
    if (bytes[i] !== CR) continue;
    if (i + 1 >= bytes.length) return 'incomplete';
    return bytes[i + 1] === LF ? i : 'bare CR';
  }
  return bytes.length >= MAX_V1_BYTES ? 'too long' : 'incomplete';
}

function portOf(text: string): number | undefined {
  if (!PORT.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

function endpoint(family: 'IPv4' | 'IPv6', address: string, portText: string): ProxyEndpoint | undefined {
  // No zone index (`fe80::1%eth0`): it names an interface of the sender, not an address here.
  const valid = family === 'IPv4' ? isIPv4(address) : isIPv6(address) && !address.includes('%');
  const port = portOf(portText);
  if (!valid || port === undefined) return undefined;
  // One spelling per host (one throttle key): strict IPv4 has one already; SocketAddress writes IPv6
  // back as Node writes a socket's address.
  const canonical = family === 'IPv4' ? address : new SocketAddress({ address, family: 'ipv6' }).address;
  return { address: canonical, port, family };
}

/**
 * `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n` or `PROXY UNKNOWN…\r\n` (whatever follows
 * UNKNOWN is ignored, as the spec asks). Fields are separated by exactly one space.
 */
export function parseProxyV1(bytes: Uint8Array): ProxyParse {
  const end = findLineEnd(bytes);
  if (end === 'incomplete') return INCOMPLETE;
  if (end === 'too long') return refused('v1 header longer than 107 bytes');
  if (end === 'bare CR') return refused('v1 header not ended by CRLF');
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  const consumed = end + 2;
  const fields = line.split(' ');
  if (fields[1] === 'UNKNOWN') return { status: 'complete', header: { version: 1 }, consumed };
  if (fields.length !== 6) return refused('v1 header needs 6 fields');
  const [, protocol, src = '', dst = '', sport = '', dport = ''] = fields;
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return refused('v1 protocol is not TCP4, TCP6 or UNKNOWN');
  const family = protocol === 'TCP4' ? 'IPv4' : 'IPv6';
  const source = endpoint(family, src, sport);
  const destination = endpoint(family, dst, dport);
  if (source === undefined || destination === undefined)
    return refused(`v1 ${protocol} address or port invalid`);
  return { status: 'complete', header: { version: 1, source, destination }, consumed };
}
