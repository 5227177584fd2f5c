/** Topic names and filters (MQTT 5.0 §4.7). Inputs are JS strings; length limits are in UTF-8 bytes. */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
/** A UTF-8 Encoded String holds at most 65,535 bytes (MQTT 5.0 §1.5.4). */
const MAX_UTF8_BYTES = 65_535;

/**
 * A topic name a client may publish to: non-empty [MQTT-4.7.3-1], no wildcards [MQTT-3.3.2-2],
 * no U+0000 [MQTT-4.7.3-2], well-formed, at most 65,535 UTF-8 bytes and `maxLevels` levels.
 */
export function isValidTopicName(topic: string, maxLevels = Number.POSITIVE_INFINITY): boolean {
  if (topic.length === 0 || !fitsUtf8Limit(topic)) return false;
  let levels = 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === SLASH) levels++;
    else if (c === PLUS || c === HASH || c === 0) return false;
    else if (c >= 0xd800 && c <= 0xdfff && !isSurrogatePair(topic, i++)) return false;
  }
  return levels <= maxLevels;
}

/**
 * A subscription filter: non-empty [MQTT-4.7.3-1], `+` only as a whole level [MQTT-4.7.1-3], `#`
 * only as the whole last level [MQTT-4.7.1-2], no U+0000, well-formed, within the same limits.
 * A shared filter (`$share/…`) is checked with `parseSharedFilter` first.
 */
export function isValidTopicFilter(filter: string, maxLevels = Number.POSITIVE_INFINITY): boolean {
  if (filter.length === 0 || !fitsUtf8Limit(filter)) return false;
  let levels = 1;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) {
      levels++;
    } else if (c === PLUS || c === HASH) {
      const alone =
        (i === 0 || filter.charCodeAt(i - 1) === SLASH) &&
        (i + 1 === filter.length || filter.charCodeAt(i + 1) === SLASH);
      if (!alone || (c === HASH && i + 1 !== filter.length)) return false;
    } else if (c === 0) {
      return false;
    } else if (c >= 0xd800 && c <= 0xdfff && !isSurrogatePair(filter, i++)) {
      return false;
    }
  }
  return levels <= maxLevels;
}

/** Cheap bound first: one UTF-16 unit is at most 3 UTF-8 bytes. */
function fitsUtf8Limit(s: string): boolean {
  return s.length * 3 <= MAX_UTF8_BYTES || Buffer.byteLength(s, 'utf8') <= MAX_UTF8_BYTES;
}

/** True when position i starts a high+low surrogate pair (a lone surrogate is not valid UTF-8). */
function isSurrogatePair(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  const lo = s.charCodeAt(i + 1);
  return hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}
