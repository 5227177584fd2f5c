import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import { OPTIONS, type OptionSpec, START_OPTIONS } from './options.js';

/** The commands that read the config file; each also names the file's section of its own settings. */
export type ConfigCommand = 'start' | 'broker';

const TABLES: Readonly<Record<ConfigCommand, readonly OptionSpec[]>> = {
  start: START_OPTIONS,
  broker: OPTIONS,
};

/** The options table of a command. */
export function optionsOf(command: ConfigCommand): readonly OptionSpec[] {
  return TABLES[command];
}

/** One value from the file and where it is written there (`/etc/devgate.yaml: start.mqttPort`). */
export interface FileSetting {
  readonly value: unknown;
  readonly where: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON by extension `.json` or content starting with `{`; YAML otherwise (`.yaml`, `.yml`, any other). */
function parseDocument(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*\{/.test(text));
  try {
    if (json) return JSON.parse(text);
    // An empty YAML file is an empty configuration, not an error.
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(
      `config file ${file} is not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Walks nested objects down to option keys (`limits: {maxPacketSize: …}` → `limits.maxPacketSize`).
 * `known` decides what is a setting; anything else is an error naming the key and the file.
 */
function flatten(
  node: unknown,
  file: string,
  label: string,
  known: ReadonlySet<string>,
  visit: (key: string, value: unknown) => void,
): void {
  const walk = (value: unknown, prefix: string): void => {
    const shown = [label, prefix].filter((part) => part !== '').join('.');
    if (!isPlainObject(value)) throw new ConfigError(`${file}: ${shown || 'top level'} must be an object`);
    for (const [name, child] of Object.entries(value)) {
      const key = prefix === '' ? name : `${prefix}.${name}`;
      const where = label === '' ? key : `${label}.${key}`;
      if (known.has(key)) visit(key, child);
      else if ([...known].some((k) => k.startsWith(`${key}.`))) walk(child, key);
      else throw new ConfigError(`${file}: unknown setting "${where}"`);
    }
  };
  walk(node, '');
}

function keysOf(table: readonly OptionSpec[]): Set<string> {
  return new Set(table.map((spec) => spec.key));
}

/**
 * The settings a config file gives `command`. Top-level keys are shared by `devgate start` and
 * `devgate broker` (each takes those it has); a `start:` or `broker:` section holds one command's
 * own settings and overrides the top level. Every key must be a setting of some command.
 */
export function fileSettings(text: string, file: string, command: ConfigCommand): Map<string, FileSetting> {
  const document = parseDocument(text, file);
  if (!isPlainObject(document)) throw new ConfigError(`${file}: top level must be an object`);
  const mine = keysOf(TABLES[command]);
  const shared = new Set([...keysOf(OPTIONS), ...keysOf(START_OPTIONS)]);
  const out = new Map<string, FileSetting>();
  const { start, broker, ...top } = document;
  flatten(top, file, '', shared, (key, value) => {
    if (mine.has(key)) out.set(key, { value, where: `${file}: ${key}` });
  });
  const sections: Record<ConfigCommand, unknown> = { start, broker };
  for (const section of ['start', 'broker'] as const) {
    const body = sections[section];
    if (body === undefined || body === null) continue;
    flatten(body, file, section, keysOf(TABLES[section]), (key, value) => {
      if (section === command) out.set(key, { value, where: `${file}: ${section}.${key}` });
    });
  }
  return out;
}
