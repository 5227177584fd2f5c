import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from './config-error.js';
import { defaultLimits, type Limits } from './limits.js';
import { CONFIG_OPTION, OPTIONS, type OptionSpec } from './options.js';
import { parseValue, type RawValue } from './parse-value.js';
import type { ServerConfig } from './server-config.js';

export { ConfigError } from './config-error.js';

/** Everything settings can come from; injected so tests need no real process state. */
export interface ConfigSources {
  /** Arguments after the command name (`devgate broker …`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths given as flags or env. Paths in the config file are relative to the file. */
  readonly cwd: string;
  readonly readFile?: (path: string) => string;
}

type Flags = Record<string, string | boolean | undefined>;

function argsConfig(table: readonly OptionSpec[]): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = { [CONFIG_OPTION.flag]: { type: 'string' } };
  for (const spec of table) options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  return options;
}

function parseFlags(argv: readonly string[], table: readonly OptionSpec[]): Flags {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: argsConfig(table),
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    });
    return values as Flags;
  } catch (err) {
    throw new ConfigError((err as Error).message, { cause: err });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens the JSON file into option keys (`limits.maxPacketSize`), refusing unknown keys. */
function flattenFile(json: unknown, file: string, table: readonly OptionSpec[]): Map<string, unknown> {
  const known = new Set(table.map((spec) => spec.key));
  const out = new Map<string, unknown>();
  const walk = (node: unknown, prefix: string): void => {
    if (!isPlainObject(node)) throw new ConfigError(`${file}: ${prefix || 'top level'} must be an object`);
    for (const [name, value] of Object.entries(node)) {
      const key = prefix === '' ? name : `${prefix}.${name}`;
      if (known.has(key)) out.set(key, value);
      else if (table.some((spec) => spec.key.startsWith(`${key}.`))) walk(value, key);
      else throw new ConfigError(`${file}: unknown setting "${key}"`);
    }
  };
  walk(json, '');
  return out;
}

function readConfigFile(
  path: string,
  readFile: (path: string) => string,
  table: readonly OptionSpec[],
): Map<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return flattenFile(JSON.parse(text), path, table);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The winning raw value of one option: flag > env > file; undefined means "use the default". */
function rawFor(
  spec: OptionSpec,
  flags: Flags,
  sources: ConfigSources,
  file: FileValues | undefined,
): RawValue | undefined {
  const flag = flags[spec.flag];
  if (flag !== undefined) return { value: flag, where: `--${spec.flag}`, baseDir: sources.cwd };
  const env = sources.env[spec.env];
  if (env !== undefined && env !== '') return { value: env, where: spec.env, baseDir: sources.cwd };
  if (file?.values.has(spec.key)) {
    return {
      value: file.values.get(spec.key),
      where: `${file.path}: ${spec.key}`,
      baseDir: dirname(file.path),
    };
  }
  return undefined;
}

interface FileValues {
  readonly path: string;
  readonly values: Map<string, unknown>;
}

/**
 * The parsed value of every option of `table` that was given (flags > env > config file), keyed
 * by option key; absent keys take their defaults.
 */
export function resolveValues(sources: ConfigSources, table: readonly OptionSpec[]): Map<string, unknown> {
  const flags = parseFlags(sources.argv, table);
  const configFlag = flags[CONFIG_OPTION.flag];
  const configPath =
    typeof configFlag === 'string' ? configFlag : sources.env[CONFIG_OPTION.env] || undefined;
  const file =
    configPath === undefined
      ? undefined
      : (() => {
          const path = resolve(sources.cwd, configPath);
          const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
          return { path, values: readConfigFile(path, read, table) };
        })();
  const values = new Map<string, unknown>();
  for (const spec of table) {
    const raw = rawFor(spec, flags, sources, file);
    if (raw !== undefined) values.set(spec.key, parseValue(spec, raw));
  }
  return values;
}

/** Resolves every option (flags > env > config file > defaults) into a ServerConfig. */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const config = assembleServerConfig(resolveValues(sources, OPTIONS), sources.cwd);
  validateServerConfig(config);
  return config;
}

/** The ServerConfig part of resolved values (keys of OPTIONS); others are ignored. */
export function assembleServerConfig(values: Map<string, unknown>, cwd: string): ServerConfig {
  const get = <T>(key: string, fallback: T): T => (values.has(key) ? (values.get(key) as T) : fallback);
  const limits: Record<string, number> = { ...defaultLimits };
  for (const [key, value] of values)
    if (key.startsWith('limits.')) limits[key.slice('limits.'.length)] = value as number;
  const optional = (key: string, name: string): Record<string, string> =>
    values.has(key) ? { [name]: values.get(key) as string } : {};
  return {
    dataDir: get('dataDir', resolve(cwd, 'data')),
    host: get('host', '0.0.0.0'),
    mqttPort: get<number | null>('mqttPort', 1883),
    mqttsPort: get<number | null>('mqttsPort', 8883),
    httpPort: get<number | null>('httpPort', 8080),
    httpsPorts: get<number[]>('httpsPorts', [443, 9443]),
    socketWorkers: get('socketWorkers', 0),
    ...optional('tlsCert', 'tlsCert'),
    ...optional('tlsKey', 'tlsKey'),
    persistence: get('persistence', false),
    limits: limits as unknown as Limits,
    auth: {
      allowAnonymous: get('auth.allowAnonymous', false),
      ...optional('auth.passwordFile', 'passwordFile'),
      ...optional('auth.aclFile', 'aclFile'),
    },
    logLevel: get<ServerConfig['logLevel']>('logLevel', 'info'),
    ...optional('metricsToken', 'metricsToken'),
    ...(values.has('sysInterval') ? { sysInterval: values.get('sysInterval') as number } : {}),
  };
}

/** Rules between settings that no single value can check. */
export function validateServerConfig(config: ServerConfig): void {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key must be given together');
  }
  const ports = [config.mqttPort, config.mqttsPort, config.httpPort, ...config.httpsPorts];
  const fixed = ports.filter((port): port is number => port !== null && port !== 0);
  const duplicate = fixed.find((port, index) => fixed.indexOf(port) !== index);
  if (duplicate !== undefined) throw new ConfigError(`port ${duplicate} is used by two listeners`);
}
