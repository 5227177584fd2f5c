/**
 * The Blynk "binary info tag" (spec §3.4): the bytes `blnkinf\0`, then NUL-terminated key/value
 * pairs (`mcu` → firmware version, `fw-type`, `build`, `blynk` → library version, sometimes
 * others), then one more NUL. Firmware built with the Blynk library embeds it as a constant
 * string, so the server finds it by scanning the uploaded image.
 */

const MAGIC = Buffer.from('blnkinf\0', 'latin1');
/** A real tag is well under 200 bytes; anything longer is not a tag. */
const MAX_TAG_BYTES = 1024;
const MAX_FIELD_BYTES = 128;
/** Keys are short identifiers (`mcu`, `fw-type`, …). */
const KEY = /^[A-Za-z0-9_.-]+$/;

/** What the tag says; a field is absent when the tag does not carry it. */
export interface InfoTag {
  /** `mcu`: the firmware version (`BLYNK_FIRMWARE_VERSION`). */
  readonly version?: string;
  /** `fw-type`: which OTA packages the device accepts (usually the template id). */
  readonly fwType?: string;
  /** `build`: `__DATE__ " " __TIME__`, e.g. `Mar 05 2024 18:29:27`. */
  readonly build?: string;
  /** `blynk`: the library version. */
  readonly blynkVersion?: string;
  /** Every pair as found, known keys included. */
  readonly pairs: Readonly<Record<string, string>>;
}

/**
 * Printable ASCII only: tag fields are versions, ids and dates, they become HTTP header values
 * (`x-fw-ver`, …), and other bytes mean we are not in a tag.
 */
function isPrintable(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return false;
  return true;
}

/** Reads one NUL-terminated field at `start`; undefined when it does not end in time or is not text. */
function field(image: Buffer, start: number, end: number): { text: string; next: number } | undefined {
  const limit = Math.min(end, start + MAX_FIELD_BYTES + 1);
  const nul = image.subarray(start, limit).indexOf(0);
  if (nul < 0) return undefined;
  const bytes = image.subarray(start, start + nul);
  if (!isPrintable(bytes)) return undefined;
  return { text: bytes.toString('latin1'), next: start + nul + 1 };
}

/** The pairs of a tag whose magic ends at `start`; undefined when truncated or malformed. */
function readPairs(image: Buffer, start: number): Record<string, string> | undefined {
  const end = Math.min(image.length, start + MAX_TAG_BYTES);
  const pairs: Record<string, string> = {};
  let at = start;
  for (;;) {
    const key = field(image, at, end);
    if (key === undefined) return undefined;
    // An empty key is the final extra NUL: the tag is complete.
    if (key.text === '') return Object.keys(pairs).length > 0 ? pairs : undefined;
    if (!KEY.test(key.text)) return undefined;
    const value = field(image, key.next, end);
    if (value === undefined) return undefined;
    pairs[key.text] = value.text;
    at = value.next;
  }
}

function toTag(pairs: Record<string, string>): InfoTag {
  const pick = (key: string): string | undefined => {
    const value = pairs[key];
    return value === undefined || value === '' ? undefined : value;
  };
  const version = pick('mcu');
  const fwType = pick('fw-type');
  const build = pick('build');
  const blynkVersion = pick('blynk');
  return {
    ...(version === undefined ? {} : { version }),
    ...(fwType === undefined ? {} : { fwType }),
    ...(build === undefined ? {} : { build }),
    ...(blynkVersion === undefined ? {} : { blynkVersion }),
    pairs,
  };
}

/**
 * The first well-formed info tag in `image`, or undefined when there is none (no magic, or every
 * occurrence is truncated or not text). Bytes around the tag are ignored.
 */
export function findInfoTag(image: Buffer): InfoTag | undefined {
  let from = 0;
  for (;;) {
    const at = image.indexOf(MAGIC, from);
    if (at < 0) return undefined;
    const pairs = readPairs(image, at + MAGIC.length);
    if (pairs !== undefined) return toTag(pairs);
    from = at + 1;
  }
}

/** Builds a tag's bytes (for tests and tools): `blnkinf\0` + `k\0v\0`… + `\0`. */
export function encodeInfoTag(pairs: Readonly<Record<string, string>>): Buffer {
  const parts = Object.entries(pairs).flatMap(([key, value]) => [key, '\0', value, '\0']);
  return Buffer.concat([MAGIC, Buffer.from(`${parts.join('')}\0`, 'utf8')]);
}
