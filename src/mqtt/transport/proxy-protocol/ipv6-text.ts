/**
 * The text form of an IPv6 address given as 16 bytes, written as Node writes a socket's address
 * (libuv's inet_ntop): lower-case hex, the longest run of two or more zero groups as `::` (the
 * first of equal runs), and the last 32 bits as a dotted quad for IPv4-mapped (`::ffff:a.b.c.d`)
 * and IPv4-compatible (`::a.b.c.d`) addresses. Hand-written because `net.SocketAddress` costs
 * about 10 µs per address.
 */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[at + i]! << 8) | bytes[at + i + 1]!);
  let runStart = -1;
  let runLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > runLength) [runStart, runLength] = [i, end - i];
    i = end;
  }
  if (runLength < 2) runStart = -1;
  const embedsIpv4 = runStart === 0 && (runLength === 6 || (runLength === 5 && groups[5] === 0xffff));
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      parts.push(i === 0 ? ':' : '');
      i += runLength - 1;
      if (i === 7) parts.push('');
      continue;
    }
    if (i === 6 && embedsIpv4) {
      parts.push(`${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`);
      break;
    }
    parts.push(groups[i]!.toString(16));
  }
  return parts.join(':');
}
