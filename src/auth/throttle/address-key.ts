import { isIPv4, isIPv6 } from 'node:net';

/** IPv6 hosts usually own a whole /64: counting single addresses would let one host rotate freely. */
const IPV6_PREFIX_GROUPS = 4;

/** The 8 hextets of an IPv6 address (`::` expanded); undefined when it is not one. */
function hextets(address: string): string[] | undefined {
  const withoutZone = address.split('%', 1)[0] ?? address;
  const [head = '', tail] = withoutZone.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}

/**
 * The key one source is throttled by: an IPv4 address (IPv4-mapped IPv6 unwrapped), or the /64
 * prefix of an IPv6 address. Anything else (no address: a socket without one) shares one key.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  const groups = hextets(address.toLowerCase());
  if (groups === undefined) return address;
  const prefix = groups.slice(0, IPV6_PREFIX_GROUPS).map((g) => g.replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}
