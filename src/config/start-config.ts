import { join } from 'node:path';
import { isEmailAddress } from '../lib/email-address.js';
import { SECRET_KEY_FILE } from '../lib/secret-key-file.js';
import { ConfigError } from './config-error.js';
import { type DeviceApiOptions, defaultDeviceApiOptions } from './device-api-options.js';
import { assembleServerConfig, type ConfigSources, resolveValues, validateServerConfig } from './load.js';
import { START_MAX_PACKET_SIZE } from './options.js';
import { defaultOtaOptions, type OtaOptions } from './ota-options.js';
import { defaultPlatformOptions, type PlatformOptions } from './platform-options.js';
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
  /** Device and gateway API limits and the region URL (spec §9). */
  readonly deviceApi: DeviceApiOptions;
  /** Blynk.Air: download URL base, upload size, token lifetime, download limit. */
  readonly ota: OtaOptions;
  /** Create (once) and print the demo template and devices. */
  readonly demo: boolean;
  /** The token key file (`--secret-key-file`, default `<data-dir>/secret.key`). */
  readonly secretKeyFile: string;
  /** Email of the console admin user made when the platform has no user (`--admin-email`). */
  readonly adminEmail: string;
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
    sessionIdleSec: pick('sessionIdleSec'),
    sessionMaxAgeSec: pick('sessionMaxAgeSec'),
  };
}

/** The console admin user's email on first start. */
export const DEFAULT_ADMIN_EMAIL = 'admin@devgate.local';

function adminEmailOf(text: string): string {
  const email = text.trim().toLowerCase();
  if (!isEmailAddress(email)) throw new ConfigError(`--admin-email: "${text}" is not an email address`);
  return email;
}

/** `--region-url`: an absolute http(s) URL; only its host (and port) matter for redirects. */
function regionUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(`--region-url: "${text}" is not a URL (e.g. https://fra1.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`--region-url: "${text}" must start with http:// or https://`);
  return url.origin;
}

function deviceApiFrom(values: Map<string, unknown>): DeviceApiOptions {
  const pick = <K extends keyof DeviceApiOptions>(name: K): DeviceApiOptions[K] => {
    const key = `deviceApi.${name}`;
    return values.has(key) ? (values.get(key) as DeviceApiOptions[K]) : defaultDeviceApiOptions[name];
  };
  const regionUrl = values.get('deviceApi.regionUrl') as string | undefined;
  return {
    rateLimitPerSec: pick('rateLimitPerSec'),
    rateLimitBurst: pick('rateLimitBurst'),
    floodDisconnectSec: pick('floodDisconnectSec'),
    diagIntervalMs: pick('diagIntervalMs'),
    gatewayRateLimitPerSec: pick('gatewayRateLimitPerSec'),
    eventsPerDay: pick('eventsPerDay'),
    eventIntervalMs: pick('eventIntervalMs'),
    importPointsPerDay: pick('importPointsPerDay'),
    httpUpdatesPerDay: pick('httpUpdatesPerDay'),
    uploadMaxFiles: pick('uploadMaxFiles'),
    uploadMaxBytes: pick('uploadMaxBytes'),
    uploadsPerDay: pick('uploadsPerDay'),
    liveStreamsMax: pick('liveStreamsMax'),
    liveStreamsPerCaller: pick('liveStreamsPerCaller'),
    liveStreamBufferBytes: pick('liveStreamBufferBytes'),
    ...(regionUrl === undefined ? {} : { regionUrl: regionUrlOf(regionUrl) }),
  };
}

/** `--public-url`: an absolute http(s) URL, kept without a trailing slash (a path prefix is allowed). */
function publicUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(`--public-url: "${text}" is not a URL (e.g. https://iot.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`--public-url: "${text}" must start with http:// or https://`);
  if (url.search !== '' || url.hash !== '')
    throw new ConfigError(`--public-url: "${text}" must not have a query or fragment`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function otaFrom(values: Map<string, unknown>): OtaOptions {
  const pick = <K extends keyof OtaOptions>(name: K): OtaOptions[K] => {
    const key = `ota.${name}`;
    return values.has(key) ? (values.get(key) as OtaOptions[K]) : defaultOtaOptions[name];
  };
  const publicUrl = values.get('ota.publicUrl') as string | undefined;
  return {
    maxFirmwareBytes: pick('maxFirmwareBytes'),
    downloadTokenTtlSec: pick('downloadTokenTtlSec'),
    downloadsPerDay: pick('downloadsPerDay'),
    ...(publicUrl === undefined ? {} : { publicUrl: publicUrlOf(publicUrl) }),
  };
}

/** Resolves `devgate start`'s options (flags > env > config file > defaults). */
export function loadStartConfig(sources: ConfigSources): StartConfig {
  const values = resolveValues(sources, 'start');
  const assembled = assembleServerConfig(values, sources.cwd);
  const server = values.has('limits.maxPacketSize')
    ? assembled
    : { ...assembled, limits: { ...assembled.limits, maxPacketSize: START_MAX_PACKET_SIZE } };
  validateServerConfig(server);
  const rootOrg = {
    name: ((values.get('platform.rootOrgName') as string | undefined) ?? DEFAULT_ORG_NAME).trim(),
    tz: ((values.get('platform.rootOrgTz') as string | undefined) ?? DEFAULT_TZ).trim(),
  };
  if (!isTimeZone(rootOrg.tz)) {
    throw new ConfigError(`--tz: "${rootOrg.tz}" is not an IANA time zone (e.g. UTC, Europe/Kyiv)`);
  }
  return {
    server,
    platform: platformFrom(values),
    rootOrg,
    deviceApi: deviceApiFrom(values),
    ota: otaFrom(values),
    demo: values.get('demo') === true,
    secretKeyFile:
      (values.get('platform.secretKeyFile') as string | undefined) ?? join(server.dataDir, SECRET_KEY_FILE),
    adminEmail: adminEmailOf(
      (values.get('platform.adminEmail') as string | undefined) ?? DEFAULT_ADMIN_EMAIL,
    ),
  };
}
