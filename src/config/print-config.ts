import { type ConfigCommand, optionsOf } from './config-file.js';
import { type ConfigSources, resolveSettings } from './load.js';
import type { OptionSpec } from './options.js';

export const MASK = '********';

/**
 * Secret material: a string setting named like a password, secret, token or key (`metricsToken`).
 * Paths (`tlsKey`, `passwordFile`) and numbers (`accessTokenTtlSec`) are shown.
 */
export function isSecretSetting(spec: OptionSpec): boolean {
  const name = spec.key.slice(spec.key.lastIndexOf('.') + 1);
  // A database URL may carry its password.
  return spec.kind === 'string' && /(password|secret|token|key|databaseUrl|redisUrl)$/i.test(name);
}

function valueText(value: unknown): string {
  if (value === null) return 'off';
  if (Array.isArray(value)) return value.length === 0 ? 'off' : value.join(',');
  return String(value);
}

/**
 * `--print-config`: one row per setting of `command` — key, effective value (secrets masked),
 * and its source (`flag --x`, `env DEVGATE_X`, `file <path>: key`, or `default`).
 */
export function describeSettings(sources: ConfigSources, command: ConfigCommand): string {
  const { settings, file } = resolveSettings(sources, command);
  const rows: Array<[string, string, string]> = [];
  for (const spec of optionsOf(command)) {
    const setting = settings.get(spec.key);
    if (setting === undefined) {
      rows.push([spec.key, spec.defaultText, 'default']);
      continue;
    }
    const value = isSecretSetting(spec) ? MASK : valueText(setting.value);
    rows.push([spec.key, value, `${setting.source} ${setting.where}`]);
  }
  const keyWidth = Math.max(...rows.map(([key]) => key.length));
  const valueWidth = Math.min(48, Math.max(...rows.map(([, value]) => value.length)));
  const header = [
    `# devgate ${command}: effective settings`,
    `# config file: ${file === undefined ? '(none)' : `${file.path} (from ${file.given})`}`,
    `# ${'setting'.padEnd(keyWidth - 2)} ${'value'.padEnd(valueWidth)} source`,
  ];
  const body = rows.map(
    ([key, value, source]) => `${key.padEnd(keyWidth)} ${value.padEnd(valueWidth)} ${source}`,
  );
  return `${[...header, ...body].join('\n')}\n`;
}
