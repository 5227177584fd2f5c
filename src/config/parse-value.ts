import { isAbsolute, resolve } from 'node:path';
import { AddressList } from '../lib/address-list.js';
import { ConfigError } from './config-error.js';
import { LISTENER_NAMES, LOG_FORMATS, LOG_LEVELS, type OptionSpec } from './options.js';

/** A raw value and where it came from, for error messages and relative paths. */
export interface RawValue {
  readonly value: unknown;
  /** e.g. `--mqtt-port`, `DEVGATE_MQTT_PORT`, `config.json: mqttPort`. */
  readonly where: string;
  /** Directory relative paths are resolved against. */
  readonly baseDir: string;
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', '0', 'no', 'off']);
const DISABLED: ReadonlySet<string> = new Set(['off', '-1', 'none', 'disabled']);

function fail(raw: RawValue, expected: string): never {
  throw new ConfigError(`${raw.where}: expected ${expected}, got ${JSON.stringify(raw.value)}`);
}

function integerOf(raw: RawValue, value: unknown, min: number, max: number, expected: string): number {
  const text = typeof value === 'string' ? value.trim() : value;
  const n =
    typeof text === 'number' ? text : typeof text === 'string' && /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(raw, expected);
  return n;
}

function portOf(raw: RawValue, value: unknown): number | null {
  if (value === null || value === -1) return null;
  if (typeof value === 'string' && DISABLED.has(value.trim().toLowerCase())) return null;
  return integerOf(raw, value, 0, 65_535, 'a port 0-65535 or "off"');
}

function portsOf(raw: RawValue): number[] {
  const { value } = raw;
  if (value === null || value === -1) return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  if (items.length === 1 && typeof items[0] === 'string' && DISABLED.has(items[0].trim().toLowerCase()))
    return [];
  if (typeof value === 'string' && value.trim() === '') return [];
  const ports = items.map((item) =>
    integerOf(raw, item, 0, 65_535, 'comma-separated ports 0-65535 or "off"'),
  );
  return ports;
}

function booleanOf(raw: RawValue): boolean {
  if (typeof raw.value === 'boolean') return raw.value;
  const word = typeof raw.value === 'string' ? raw.value.trim().toLowerCase() : undefined;
  if (word !== undefined && TRUE_WORDS.has(word)) return true;
  if (word !== undefined && FALSE_WORDS.has(word)) return false;
  return fail(raw, 'true or false');
}

function stringOf(raw: RawValue): string {
  if (typeof raw.value !== 'string' || raw.value.trim() === '') fail(raw, 'a non-empty string');
  return raw.value;
}

/** A comma-separated string or a list (config file); `off`/`none` or an empty string: none. */
function listOf(raw: RawValue): string[] {
  const { value } = raw;
  if (value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const words = items.map((item) => (typeof item === 'string' ? item.trim() : fail(raw, 'a list')));
  if (words.length === 1 && (words[0] === '' || DISABLED.has(words[0]!.toLowerCase()))) return [];
  return words;
}

function listenersOf(raw: RawValue): string[] {
  const names = listOf(raw).map((name) => name.toLowerCase());
  const expected = `comma-separated listener names (${LISTENER_NAMES.join(', ')}) or "none"`;
  if (names.some((name) => !(LISTENER_NAMES as readonly string[]).includes(name))) fail(raw, expected);
  return [...new Set(names)];
}

function addressesOf(raw: RawValue): string[] {
  const entries = listOf(raw);
  try {
    new AddressList(entries);
  } catch {
    fail(raw, 'comma-separated addresses or CIDR blocks (10.0.0.0/8, fd00::/8)');
  }
  return entries;
}

/** Parses one raw value according to its option's kind. */
export function parseValue(spec: OptionSpec, raw: RawValue): unknown {
  switch (spec.kind) {
    case 'string':
      return stringOf(raw);
    case 'path': {
      const path = stringOf(raw);
      return isAbsolute(path) ? path : resolve(raw.baseDir, path);
    }
    case 'port':
      return portOf(raw, raw.value);
    case 'ports':
      return portsOf(raw);
    case 'boolean':
      return booleanOf(raw);
    case 'integer':
      return integerOf(
        raw,
        raw.value,
        spec.min ?? 0,
        spec.max ?? Number.MAX_SAFE_INTEGER,
        `an integer ${spec.min}-${spec.max}`,
      );
    case 'logLevel': {
      const level = stringOf(raw).trim().toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) fail(raw, LOG_LEVELS.join('|'));
      return level;
    }
    case 'listeners':
      return listenersOf(raw);
    case 'addresses':
      return addressesOf(raw);
    case 'logFormat': {
      const format = stringOf(raw).trim().toLowerCase();
      if (!(LOG_FORMATS as readonly string[]).includes(format)) fail(raw, LOG_FORMATS.join('|'));
      return format;
    }
  }
}
