import { access, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { PlatformError } from '../platform/errors.js';
import type { PlatformOptions } from '../platform/options.js';
import { openPlatform, type Platform } from '../platform/platform.js';
import type { Caller } from '../platform/services.js';
import { LISTENERS_FILE } from '../server.js';
import { loadOrCreateTokenKey, PLATFORM_DB_FILE, SECRET_KEY_FILE } from './admin-bootstrap.js';
import { ApiError, allPages, type ManagementApi, LIST_PAGE_SIZE as size } from './manage-api.js';

/** Bound ports as `listeners.json` lists them. */
export interface ListenersFile {
  readonly mqtt?: number;
  readonly mqtts?: number;
  readonly http?: number;
  readonly https?: readonly number[];
}

/** `<dataDir>/listeners.json`, or undefined when absent or unreadable. */
export async function readListeners(dataDir: string): Promise<ListenersFile | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, LISTENERS_FILE), 'utf8')) as ListenersFile;
  } catch {
    return undefined;
  }
}

function answers(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when listeners.json names a port that accepts connections: a server owns the data directory. */
export async function serverRunning(dataDir: string, timeoutMs = 1000): Promise<boolean> {
  const listeners = await readListeners(dataDir);
  if (listeners === undefined) return false;
  const ports = [listeners.http, listeners.mqtt, listeners.mqtts, ...(listeners.https ?? [])];
  for (const port of ports) if (typeof port === 'number' && (await answers(port, timeoutMs))) return true;
  return false;
}

/** Turns service errors into ApiError, so both implementations fail alike. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PlatformError) throw new ApiError(err.message, err.status);
    throw err;
  }
}

function apiOn(platform: Platform, caller: Caller, target: string): ManagementApi {
  const { orgs, templates, devices, oauth } = platform;
  return {
    orgId: caller.orgId,
    target,
    orgs: {
      list: () => call(() => allPages((page) => orgs.list(caller, { page, size }))),
      get: (id) => call(() => orgs.get(caller, id)),
      create: (input) => call(() => orgs.create(caller, input)),
      update: (id, patch) => call(() => orgs.update(caller, id, patch)),
      delete: (id) => call(() => orgs.delete(caller, id)),
    },
    templates: {
      list: () => call(() => allPages((page) => templates.list(caller, { page, size }))),
      get: (id) => call(() => templates.get(caller, id)),
      create: (input) => call(() => templates.create(caller, input)),
      update: (id, patch) => call(() => templates.update(caller, id, patch)),
      delete: (id) => call(() => templates.delete(caller, id)),
    },
    devices: {
      list: (query = {}) => call(() => allPages((page) => devices.list(caller, { ...query, page, size }))),
      get: (id) => call(() => devices.get(caller, id)),
      create: (input) => call(() => devices.create(caller, input)),
      update: (id, patch) => call(() => devices.update(caller, id, patch)),
      token: (id) => call(() => devices.revealToken(caller, id)),
      rotateToken: (id) => call(() => devices.rotateToken(caller, id)),
      delete: (id) => call(() => devices.delete(caller, id)),
    },
    oauthClients: {
      list: () => call(() => allPages((page) => oauth.listClients(caller, { page, size }))),
      create: (input) => call(() => oauth.createClient(caller, input)),
      setActive: (id, isActive) => call(() => oauth.setClientActive(caller, id, isActive)),
      delete: (id) => call(() => oauth.deleteClient(caller, id)),
    },
    close: async () => platform.close(),
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The management API directly on a data directory, acting for its root organization. Refused
 * while a server runs on it (its caches would go stale) and on a directory never started.
 */
export async function openOfflineApi(
  dataDir: string,
  options: PlatformOptions,
  logger: Logger,
): Promise<ManagementApi> {
  if (await serverRunning(dataDir)) {
    throw new ApiError(`a server is running on ${dataDir}: stop it, or leave out --offline to use it`, 0);
  }
  const dbPath = join(dataDir, PLATFORM_DB_FILE);
  const keyPath = join(dataDir, SECRET_KEY_FILE);
  if (!(await exists(dbPath)) || !(await exists(keyPath))) {
    throw new ApiError(
      `${dataDir} holds no platform data yet: run 'devgate start --data-dir ${dataDir}' once`,
      0,
    );
  }
  const { key: tokenKey } = await loadOrCreateTokenKey(dataDir);
  const platform = await openPlatform({ file: dbPath, options, logger, tokenKey });
  const root = await platform.orgs.root();
  if (root === undefined) {
    platform.close();
    throw new ApiError(`${dataDir} has no root organization yet: run 'devgate start' once`, 0);
  }
  return apiOn(platform, { orgId: root.id, actor: 'cli' }, `data directory ${dataDir}`);
}
