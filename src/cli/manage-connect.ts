import { join } from 'node:path';
import { ConfigError } from '../config/load.js';
import { loadStartConfig, type StartConfig } from '../config/start-config.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { ADMIN_CREDENTIALS_FILE, readAdminCredentials } from '../platform/admin-bootstrap.js';
import { dataDirOwner } from '../store/data-dir-lock.js';
import type { CliIo } from './io.js';
import { ApiError, type ManagementApi } from './manage-api.js';
import { type Flags, stringFlag, UsageError } from './manage-args.js';
import { openHttpApi } from './manage-http.js';
import { openOfflineApi, readListeners } from './manage-offline.js';

/** Data directory and platform settings, resolved as `devgate start` resolves them. */
function settingsFrom(flags: Flags, io: CliIo): StartConfig {
  const argv: string[] = [];
  for (const name of ['data-dir', 'config', 'secret-key-file']) {
    const value = stringFlag(flags, name);
    if (value !== undefined) argv.push(`--${name}`, value);
  }
  try {
    return loadStartConfig({ argv, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function baseUrl(flags: Flags, io: CliIo, dataDir: string): Promise<string> {
  const url = stringFlag(flags, 'url') ?? (io.env.DEVGATE_URL || undefined);
  if (url !== undefined) {
    if (!/^https?:\/\/[^/]/i.test(url))
      throw new UsageError(`--url must be an http:// or https:// URL, got "${url}"`);
    return url.replace(/\/+$/, '');
  }
  const listeners = await readListeners(dataDir);
  const owner = listeners === undefined ? dataDirOwner(dataDir) : undefined;
  if (owner?.command === 'start' || owner?.command === 'broker') {
    throw new ApiError(
      `devgate ${owner.command} (pid ${owner.pid}) holds ${dataDir} but ${join(dataDir, 'listeners.json')} is missing: it is still starting, or pass --url`,
      0,
    );
  }
  if (listeners === undefined) {
    throw new ApiError(
      `no running server found (${join(dataDir, 'listeners.json')} is missing): start one with 'devgate start', pass --url, or use --offline`,
      0,
    );
  }
  if (listeners.http !== undefined) return `http://127.0.0.1:${listeners.http}`;
  const https = listeners.https?.[0];
  if (https !== undefined) return `https://localhost:${https}`;
  throw new ApiError('the running server has no HTTP listener: pass --url', 0);
}

async function credentials(
  flags: Flags,
  io: CliIo,
  dataDir: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = stringFlag(flags, 'client-id') ?? (io.env.DEVGATE_CLIENT_ID || undefined);
  const clientSecret = stringFlag(flags, 'client-secret') ?? (io.env.DEVGATE_CLIENT_SECRET || undefined);
  if (clientId !== undefined && clientSecret !== undefined) return { clientId, clientSecret };
  if (clientId !== undefined || clientSecret !== undefined) {
    throw new UsageError('--client-id and --client-secret must be given together');
  }
  const admin = await readAdminCredentials(dataDir);
  if (admin === undefined) {
    throw new UsageError(
      `no credentials: ${join(dataDir, ADMIN_CREDENTIALS_FILE)} is missing; pass --client-id and --client-secret`,
    );
  }
  return admin;
}

/** Warnings and errors of an offline platform go to stderr, so stdout stays clean for --json. */
function stderrLogger(): Logger {
  return createLogger({ level: 'warn', destination: process.stderr });
}

/** The API the flags ask for: `--offline` on the data directory, else the running server. */
export async function openManagementApi(flags: Flags, io: CliIo): Promise<ManagementApi> {
  const settings = settingsFrom(flags, io);
  const { dataDir } = settings.server;
  if (flags.offline === true) {
    if (stringFlag(flags, 'url') !== undefined)
      throw new UsageError('--url and --offline exclude each other');
    // --offline works on the SQLite files of a data directory; on PostgreSQL the running servers
    // hold caches an offline write would leave stale, so it goes through a server instead.
    if (settings.server.databaseUrl !== undefined)
      throw new UsageError(
        '--offline works on a SQLite data directory; with a database URL configured, leave out --offline and use a running server',
      );
    return openOfflineApi(dataDir, settings.secretKeyFile, settings.platform, stderrLogger());
  }
  const url = await baseUrl(flags, io, dataDir);
  return openHttpApi({ baseUrl: url, ...(await credentials(flags, io, dataDir)) });
}
