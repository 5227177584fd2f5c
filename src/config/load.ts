import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DEFAULT_CLUSTER_DEAD_AFTER_MS, DEFAULT_CLUSTER_HEARTBEAT_MS } from './cluster-timings.js';
import { ConfigError } from './config-error.js';
import { type ConfigCommand, type FileSetting, fileSettings, optionsOf } from './config-file.js';
import { defaultLimits, type Limits } from './limits.js';
import { CONFIG_OPTION, LISTENER_NAMES, type OptionSpec, PRINT_CONFIG_FLAG } from './options.js';
import { parseValue, type RawValue } from './parse-value.js';
import type { ListenerName, ServerConfig } from './server-config.js';

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
  const options: NonNullable<ParseArgsConfig['options']> = {
    [CONFIG_OPTION.flag]: { type: 'string' },
    [PRINT_CONFIG_FLAG]: { type: 'boolean' },
  };
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

/** Where a setting's value came from, for `--print-config`. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** One resolved setting: its parsed value and where it came from (`where` names the flag, variable or file key). */
export interface ResolvedSetting {
  readonly value: unknown;
  readonly source: Exclude<SettingSource, 'default'>;
  readonly where: string;
}

/** The winning raw value of one option: flag > env > file; undefined means "use the default". */
function rawFor(
  spec: OptionSpec,
  flags: Flags,
  sources: ConfigSources,
  file: ConfigFile | undefined,
): (RawValue & { source: ResolvedSetting['source'] }) | undefined {
  const flag = flags[spec.flag];
  if (flag !== undefined)
    return { value: flag, where: `--${spec.flag}`, baseDir: sources.cwd, source: 'flag' };
  const env = sources.env[spec.env];
  if (env !== undefined && env !== '')
    return { value: env, where: spec.env, baseDir: sources.cwd, source: 'env' };
  const setting = file?.values.get(spec.key);
  if (setting !== undefined) {
    return { value: setting.value, where: setting.where, baseDir: dirname(file!.path), source: 'file' };
  }
  return undefined;
}

/** The config file in use and its settings for one command. */
export interface ConfigFile {
  readonly path: string;
  /** `--config` or `DEVGATE_CONFIG`. */
  readonly given: string;
  readonly values: Map<string, FileSetting>;
}

function readConfigFile(
  sources: ConfigSources,
  flags: Flags,
  command: ConfigCommand,
): ConfigFile | undefined {
  const configFlag = flags[CONFIG_OPTION.flag];
  const fromFlag = typeof configFlag === 'string';
  const configPath = fromFlag ? configFlag : sources.env[CONFIG_OPTION.env] || undefined;
  if (configPath === undefined) return undefined;
  const path = resolve(sources.cwd, configPath);
  const read = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const given = fromFlag ? `--${CONFIG_OPTION.flag}` : CONFIG_OPTION.env;
  return { path, given, values: fileSettings(text, path, command) };
}

/** Every given setting of `command` (flags > env > config file) with its source; absent keys take defaults. */
export function resolveSettings(
  sources: ConfigSources,
  command: ConfigCommand,
): { settings: Map<string, ResolvedSetting>; file: ConfigFile | undefined } {
  const table = optionsOf(command);
  const flags = parseFlags(sources.argv, table);
  const file = readConfigFile(sources, flags, command);
  const settings = new Map<string, ResolvedSetting>();
  for (const spec of table) {
    const raw = rawFor(spec, flags, sources, file);
    if (raw !== undefined)
      settings.set(spec.key, { value: parseValue(spec, raw), source: raw.source, where: raw.where });
  }
  return { settings, file };
}

/**
 * The parsed value of every option of `command` that was given (flags > env > config file),
 * keyed by option key; absent keys take their defaults.
 */
export function resolveValues(sources: ConfigSources, command: ConfigCommand): Map<string, unknown> {
  const { settings } = resolveSettings(sources, command);
  return new Map([...settings].map(([key, setting]) => [key, setting.value]));
}

/** Resolves every option (flags > env > config file > defaults) into a ServerConfig. */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const config = assembleServerConfig(resolveValues(sources, 'broker'), sources.cwd);
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
  /** A number setting given under its own name, left out when not given. */
  const optionalNumber = (key: string): Record<string, number> =>
    values.has(key) ? { [key]: values.get(key) as number } : {};
  return {
    dataDir: get('dataDir', resolve(cwd, 'data')),
    host: get('host', '0.0.0.0'),
    mqttPort: get<number | null>('mqttPort', 1883),
    mqttsPort: get<number | null>('mqttsPort', 8883),
    httpPort: get<number | null>('httpPort', 8080),
    httpsPorts: get<number[]>('httpsPorts', [443, 9443]),
    socketWorkers: get('socketWorkers', 0),
    ...proxySettings(values),
    ...optional('tlsCert', 'tlsCert'),
    ...optional('tlsKey', 'tlsKey'),
    persistence: get('persistence', false) || values.has('databaseUrl'),
    ...optional('databaseUrl', 'databaseUrl'),
    ...optional('redisUrl', 'redisUrl'),
    ...optional('nodeId', 'nodeId'),
    ...optionalNumber('clusterHeartbeatMs'),
    ...optionalNumber('clusterDeadAfterMs'),
    ...optionalNumber('databasePoolSize'),
    ...optionalNumber('databaseQueryTimeoutSec'),
    limits: limits as unknown as Limits,
    auth: {
      allowAnonymous: get('auth.allowAnonymous', false),
      ...optional('auth.passwordFile', 'passwordFile'),
      ...optional('auth.aclFile', 'aclFile'),
    },
    logLevel: get<ServerConfig['logLevel']>('logLevel', 'info'),
    ...(values.has('logFormat') ? { logFormat: values.get('logFormat') as 'pretty' | 'json' } : {}),
    logConnections: get('logConnections', true),
    ...optional('metricsToken', 'metricsToken'),
    ...optionalNumber('sysInterval'),
  };
}

/**
 * The listeners taking the PROXY protocol: the named ones (`--proxy-protocol-listeners`, more
 * specific, wins), else all of them with `--proxy-protocol`.
 */
function proxySettings(
  values: Map<string, unknown>,
): Pick<ServerConfig, 'proxyProtocol' | 'proxyProtocolFrom'> {
  const named = values.get('proxyProtocolListeners') as ListenerName[] | undefined;
  const listeners = named ?? (values.get('proxyProtocol') === true ? [...LISTENER_NAMES] : []);
  const from = values.get('proxyProtocolFrom') as string[] | undefined;
  return {
    ...(listeners.length === 0 ? {} : { proxyProtocol: listeners }),
    ...(from === undefined || from.length === 0 ? {} : { proxyProtocolFrom: from }),
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
  if (config.proxyProtocolFrom !== undefined && (config.proxyProtocol ?? []).length === 0) {
    throw new ConfigError('--proxy-protocol-from needs --proxy-protocol or --proxy-protocol-listeners');
  }
  if (config.databaseUrl !== undefined && !/^postgres(ql)?:\/\/./i.test(config.databaseUrl)) {
    // Never echo the value: it may hold a password.
    throw new ConfigError('--database-url must be a postgres:// or postgresql:// URL');
  }
  validateClusterConfig(config);
}

/** A cluster node needs the shared database as well as Redis (decision 0029). */
function validateClusterConfig(config: ServerConfig): void {
  if (config.redisUrl !== undefined) {
    if (!/^rediss?:\/\/./i.test(config.redisUrl)) {
      throw new ConfigError('--redis-url must be a redis:// or rediss:// URL'); // never echoed: it may hold a password
    }
    if (config.databaseUrl === undefined) {
      throw new ConfigError(
        '--redis-url needs --database-url: the nodes of a cluster share one PostgreSQL database',
      );
    }
  }
  const heartbeatMs = config.clusterHeartbeatMs ?? DEFAULT_CLUSTER_HEARTBEAT_MS;
  const deadAfterMs = config.clusterDeadAfterMs ?? DEFAULT_CLUSTER_DEAD_AFTER_MS;
  if (deadAfterMs < 2 * heartbeatMs) {
    throw new ConfigError(
      `--cluster-dead-after-ms (${deadAfterMs}) must be at least twice --cluster-heartbeat-ms (${heartbeatMs}): one late heartbeat must not count a node dead`,
    );
  }
  if (config.nodeId !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(config.nodeId)) {
    throw new ConfigError('--node-id must be 1 to 64 letters, digits, dots, underscores, colons or hyphens');
  }
}
