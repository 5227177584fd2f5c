import { INCOMPLETE, type ProxyParse, refused } from './result.js';
import { parseProxyV1 } from './v1.js';
import { parseProxyV2, V2_SIGNATURE } from './v2.js';

export * from './result.js';

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

/** True while `bytes` is a prefix of `expected` or starts with all of it. */
function matchesPrefix(bytes: Uint8Array, expected: Uint8Array): boolean {
  const length = Math.min(bytes.length, expected.length);
  for (let i = 0; i < length; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}

/**
 * Parses the PROXY header (v1 text or v2 binary) at the start of everything a connection sent so
 * far. Pure and total: any input gives a verdict, never an exception. The version is told by the
 * first bytes; anything that is neither signature is refused as soon as one byte differs, so a
 * client that speaks MQTT, TLS or HTTP straight away is cut at once, not after the timeout.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyParse {
  if (bytes.length === 0) return INCOMPLETE;
  if (matchesPrefix(bytes, V2_SIGNATURE)) {
    return bytes.length < V2_SIGNATURE.length ? INCOMPLETE : parseProxyV2(bytes);
  }
  if (matchesPrefix(bytes, V1_PREFIX)) {
    return bytes.length < V1_PREFIX.length ? INCOMPLETE : parseProxyV1(bytes);
  }
  return refused('no PROXY protocol signature');
}
