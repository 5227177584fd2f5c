import { type Datastream, DatastreamType, type DatastreamValue } from '../model.js';

/**
 * Datastream value typing (spec §3.5), shared by the device API, the gateway API, the device HTTP
 * API and the Platform API: `parseValue` for text payloads (`ds/NAME`), `coerceJsonValue` for
 * every JSON value, `formatValue` for downlink text. Pure functions: a value that does not fit the
 * type is refused with a short reason (it becomes a `downlink/diag` text), a number outside
 * [min, max] is clamped, an unknown Enum code is replaced by the fallback.
 */
export type ValueResult =
  | {
      readonly ok: true;
      readonly value: DatastreamValue;
      /** The value was adjusted: clamped to min/max, or an unknown Enum code replaced by the fallback. */
      readonly clamped: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/** Only the fields typing looks at, so callers may pass a Datastream or a datastream being defined. */
export type TypedDatastream = Pick<
  Datastream,
  'name' | 'type' | 'min' | 'max' | 'enumValues' | 'enumFallback'
>;

export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;
/** spec §3.5 / §7.1 */
export const MAX_STRING_BYTES = 1024;

const integerText = /^[+-]?\d+$/;
const decimalText = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a text payload (`ds/NAME`, HTTP `value=`). Multi-value items arrive NUL-separated or as an
 * array: Location takes two (`lon\0lat`; one text `lon,lat` is accepted too, spec §8 #11), the
 * others one (a String keeps a NUL-separated payload whole).
 */
export function parseValue(ds: TypedDatastream, raw: string | readonly string[]): ValueResult {
  if (ds.type === DatastreamType.Location) return parseLocation(ds, locationParts(raw));
  if (typeof raw === 'string') return parseText(ds, raw, raw);
  if (raw.length === 1) return parseText(ds, raw[0] as string, raw[0]);
  return refuse(`Datastream "${ds.name}" expects one value, got ${raw.length}`);
}

function locationParts(raw: string | readonly string[]): readonly string[] {
  if (typeof raw !== 'string') return raw;
  return raw.includes('\0') ? raw.split('\0') : raw.split(',');
}

/** One text item of a non-Location type; `shown` is what a refusal quotes. */
function parseText(ds: TypedDatastream, text: string, shown: unknown): ValueResult {
  switch (ds.type) {
    case DatastreamType.Integer:
      return integerText.test(text) ? checkInteger(ds, Number(text), shown) : mismatch(ds, shown);
    case DatastreamType.Double:
      return decimalText.test(text) ? checkDouble(ds, Number(text), shown) : mismatch(ds, shown);
    case DatastreamType.Boolean:
      if (text === '1' || text === 'true') return accept(true);
      if (text === '0' || text === 'false') return accept(false);
      return mismatch(ds, shown);
    case DatastreamType.String:
      return checkString(ds, text);
    case DatastreamType.Enum:
      return integerText.test(text) ? checkEnum(ds, Number(text), shown) : mismatch(ds, shown);
    case DatastreamType.Location:
      return parseLocation(ds, locationParts(text));
    default:
      return exhausted(ds.type);
  }
}

/**
 * THE typing of a JSON value, for every path that carries JSON: `batch_ds` and
 * `ds/NAME/timestamped_batch` (MQTT and gateways), the Device HTTPS API (its query texts and
 * `POST batch/update` points), the Platform API writes and imports, template default values.
 *
 * A value of the datastream's own JSON type is typed directly (spec §3.2 batch_ds: string→String,
 * number→Integer/Double/Enum, `true`/`false`→Boolean, `[lon, lat]`→Location). A scalar of another
 * JSON type is typed by its text, exactly as a `ds/NAME` payload would be (spec §3.5: a value is
 * ignored only when it "does not parse as the datastream's type"): `"21.5"` fits a Double, `1`
 * a Boolean, `"lon,lat"` or `["lon", "lat"]` a Location, `5` a String (`"5"`). Objects, `null`
 * and arrays for other types never fit. Refusals quote the value as it was sent.
 */
export function coerceJsonValue(ds: TypedDatastream, json: unknown): ValueResult {
  switch (ds.type) {
    case DatastreamType.Integer:
    case DatastreamType.Enum:
      if (typeof json === 'number') {
        if (!Number.isInteger(json)) return mismatch(ds, json);
        return ds.type === DatastreamType.Integer ? checkInteger(ds, json, json) : checkEnum(ds, json, json);
      }
      break;
    case DatastreamType.Double:
      if (typeof json === 'number') return checkDouble(ds, json, json);
      break;
    case DatastreamType.Boolean:
      if (typeof json === 'boolean') return accept(json);
      break;
    case DatastreamType.String:
      if (typeof json === 'string') return checkString(ds, json);
      break;
    case DatastreamType.Location:
      return jsonLocation(ds, json);
    default:
      return exhausted(ds.type);
  }
  const text = scalarText(json);
  return text === undefined ? mismatch(ds, json) : parseText(ds, text, json);
}

/** `[lon, lat]` (numbers or numeric texts), or one text `lon,lat` / `lon\0lat`. */
function jsonLocation(ds: TypedDatastream, json: unknown): ValueResult {
  if (typeof json === 'string') return parseLocation(ds, locationParts(json));
  if (!Array.isArray(json) || json.length !== 2) return mismatch(ds, json);
  const [lon, lat] = json as unknown[];
  if (typeof lon === 'number' && typeof lat === 'number') return checkLocation(ds, lon, lat);
  if (!json.every((n) => typeof n === 'number' || typeof n === 'string')) return mismatch(ds, json);
  return parseLocation(
    ds,
    json.map((n) => scalarText(n) ?? ''),
  );
}

/** The text a JSON scalar stands for (numbers in their shortest form), else undefined. */
function scalarText(json: unknown): string | undefined {
  if (typeof json === 'string') return json;
  if (typeof json === 'number') return Number.isFinite(json) ? formatNumber(json) : undefined;
  if (typeof json === 'boolean') return json ? 'true' : 'false';
  return undefined;
}

/** Downlink text for a typed value: Boolean `1`/`0`, numbers without trailing zeros, Location `lon\0lat`. */
export function formatValue(ds: Pick<Datastream, 'type'>, value: DatastreamValue): string {
  switch (ds.type) {
    case DatastreamType.Integer:
    case DatastreamType.Double:
    case DatastreamType.Enum:
    case DatastreamType.String:
      return formatScalar(value);
    case DatastreamType.Boolean:
      return typeof value === 'boolean' ? (value ? '1' : '0') : formatScalar(value);
    case DatastreamType.Location:
      return typeof value === 'object'
        ? `${formatNumber(value[0])}\0${formatNumber(value[1])}`
        : formatScalar(value);
    default:
      return exhausted(ds.type);
  }
}

function formatScalar(value: DatastreamValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return value;
  return `${formatNumber(value[0])}\0${formatNumber(value[1])}`;
}

/** Shortest round-trip decimal (`12.5`, `3`, `1e+21`); never `-0`. */
function formatNumber(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

function checkInteger(ds: TypedDatastream, n: number, shown: unknown): ValueResult {
  // spec §3.5: Integer is 32-bit signed; a number that does not fit is not an Integer at all.
  if (n < INT32_MIN || n > INT32_MAX) {
    return refuse(`Value ${quote(shown)} is outside the 32-bit Integer range for datastream "${ds.name}"`);
  }
  return clamp(ds, n + 0);
}

function checkDouble(ds: TypedDatastream, n: number, shown: unknown): ValueResult {
  if (!Number.isFinite(n)) return mismatch(ds, shown);
  return clamp(ds, n + 0);
}

function checkString(ds: TypedDatastream, text: string): ValueResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_STRING_BYTES) {
    return refuse(`Value for datastream "${ds.name}" is longer than ${MAX_STRING_BYTES} bytes`);
  }
  return accept(text);
}

function checkEnum(ds: TypedDatastream, n: number, shown: unknown): ValueResult {
  if (n < INT32_MIN || n > INT32_MAX) return mismatch(ds, shown);
  const code = n + 0;
  if (ds.enumValues?.some((entry) => entry.value === code)) return accept(code);
  // spec §3.5: an unmapped code becomes the fallback.
  const fallback = ds.enumFallback ?? ds.enumValues?.[0]?.value;
  if (fallback === undefined) return refuse(`Datastream "${ds.name}" has no Enum values`);
  return { ok: true, value: fallback, clamped: true };
}

function parseLocation(ds: TypedDatastream, parts: readonly string[]): ValueResult {
  const [lon, lat] = parts;
  if (parts.length !== 2 || lon === undefined || lat === undefined) {
    return refuse(`Location for datastream "${ds.name}" needs two values, lon and lat, got ${parts.length}`);
  }
  if (!decimalText.test(lon) || !decimalText.test(lat)) return mismatch(ds, parts.join(','));
  return checkLocation(ds, Number(lon), Number(lat));
}

function checkLocation(ds: TypedDatastream, lon: number, lat: number): ValueResult {
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
    return refuse(`Location ${lon},${lat} is out of range (lon ±180, lat ±90) for datastream "${ds.name}"`);
  }
  return accept([lon + 0, lat + 0]);
}

/** spec §3.5: a number of the right type outside [min, max] is clamped to the nearest bound. */
function clamp(ds: TypedDatastream, n: number): ValueResult {
  if (ds.min !== undefined && n < ds.min) return { ok: true, value: ds.min, clamped: true };
  if (ds.max !== undefined && n > ds.max) return { ok: true, value: ds.max, clamped: true };
  return accept(n);
}

function accept(value: DatastreamValue): ValueResult {
  return { ok: true, value, clamped: false };
}

function refuse(reason: string): ValueResult {
  return { ok: false, reason };
}

function mismatch(ds: TypedDatastream, value: unknown): ValueResult {
  return refuse(`Value ${quote(value)} does not match type ${ds.type} for datastream "${ds.name}"`);
}

/** A short, printable rendering of an offending value for diag texts. */
function quote(value: unknown): string {
  const isText = typeof value === 'string';
  let text =
    isText || typeof value === 'number' || value === undefined
      ? String(value)
      : (JSON.stringify(value) ?? String(value));
  // Control characters (NUL separators included) would garble a diag line.
  text = text.replace(/\p{Cc}/gu, (c) => (c === '\0' ? '\\0' : '?'));
  if (text.length > 40) text = `${text.slice(0, 40)}…`;
  return isText ? `"${text}"` : text;
}

function exhausted(type: never): never {
  throw new Error(`unknown datastream type ${String(type)}`);
}
