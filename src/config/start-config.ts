import { defaultPlatformOptions, type PlatformOptions } from '../platform/options.js';
import { ConfigError } from './config-error.js';
import { assembleServerConfig, type ConfigSources, resolveValues, validateServerConfig } from './load.js';
import { START_OPTIONS } from './options.js';
import type { ServerConfig } from './server-config.js';

/** The root organization `devgate start` creates on first start (ignored afterwards). */
export interface RootOrgSettings {
  readonly name: string;
  /** IANA time zone. */
  readonly tz: string;
}

/** Everything `devgate start` needs: the listening server, the platform rules, first-start values. */
export interface StartConfig {
  readonly server: ServerConfig;
  readonly platform: PlatformOptions;
  readonly rootOrg: RootOrgSettings;
  /** Create (once) and print the demo template and devices. */
  readonly demo: boolean;
}

const DEFAULT_ORG_NAME = 'My Organization';
const DEFAULT_TZ = 'UTC';

/** True when the runtime knows `tz` as an IANA time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function platformFrom(values: Map<string, unknown>): PlatformOptions {
  const pick = <K extends keyof PlatformOptions>(name: K): PlatformOptions[K] => {
    const key = `platform.${name}`;
    return values.has(key) ? (values.get(key) as PlatformOptions[K]) : defaultPlatformOptions[name];
  };
  return {
    orgDepthLimit: pick('orgDepthLimit'),
    accessTokenTtlSec: pick('accessTokenTtlSec'),
    refreshTokenTtlSec: pick('refreshTokenTtlSec'),
    historyRetentionDays: pick('historyRetentionDays'),
    maxDatastreamsPerTemplate: pick('maxDatastreamsPerTemplate'),
  };
}

/** Resolves `devgate start`'s options (flags > env > config file > defaults). */
export function loadStartConfig(sources: ConfigSources): StartConfig {
  const values = resolveValues(sources, START_OPTIONS);
  const server = assembleServerConfig(values, sources.cwd);
  validateServerConfig(server);
  const rootOrg = {
    name: ((values.get('platform.rootOrgName') as string | undefined) ?? DEFAULT_ORG_NAME).trim(),
    tz: ((values.get('platform.rootOrgTz') as string | undefined) ?? DEFAULT_TZ).trim(),
  };
  if (!isTimeZone(rootOrg.tz)) {
    throw new ConfigError(`--tz: "${rootOrg.tz}" is not an IANA time zone (e.g. UTC, Europe/Kyiv)`);
  }
  return { server, platform: platformFrom(values), rootOrg, demo: values.get('demo') === true };
}
