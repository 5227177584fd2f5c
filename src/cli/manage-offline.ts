import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlatformOptions } from '../config/platform-options.js';
import type { Logger } from '../observability/logger.js';
import { loadOrCreateTokenKey, PLATFORM_DB_FILE, SECRET_KEY_FILE } from '../platform/admin-bootstrap.js';
import { PlatformError } from '../platform/errors.js';
import { openPlatform, type Platform } from '../platform/platform.js';
import type { Caller } from '../platform/services.js';
import { openSqlitePlatformStores } from '../platform/sqlite/open-sqlite-platform.js';
import { LISTENERS_FILE } from '../server.js';
import { acquireDataDirLock, type DataDirLock } from '../store/data-dir-lock.js';
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

/** Turns service errors into ApiError, so both implementations fail alike. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PlatformError) throw new ApiError(err.message, err.status);
    throw err;
  }
}

function apiOn(platform: Platform, caller: Caller, target: string, lock: DataDirLock): ManagementApi {
  const { orgs, templates, devices, oauth, users } = platform;
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
    users: {
      list: () => call(() => allPages((page) => users.list(caller, { page, size }))),
      create: (input) => call(() => users.create(caller, input)),
      setRole: (id, change) => call(() => users.setRole(caller, id, change)),
      setPassword: (id, password) => call(() => users.setPassword(caller, id, password)),
      delete: (id) => call(() => users.delete(caller, id)),
    },
    close: async () => {
      try {
        await platform.close();
      } finally {
        lock.release();
      }
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The management API directly on a data directory, acting for its root organization. It takes the
 * data directory's lock for the whole command, so it is refused while a server (or another
 * --offline command) owns the directory: the server would not see the writes, and its caches would
 * go stale. Also refused on a directory never started.
 */
export async function openOfflineApi(
  dataDir: string,
  options: PlatformOptions,
  logger: Logger,
): Promise<ManagementApi> {
  const dbPath = join(dataDir, PLATFORM_DB_FILE);
  const keyPath = join(dataDir, SECRET_KEY_FILE);
  if (!(await exists(dbPath)) || !(await exists(keyPath))) {
    throw new ApiError(
      `${dataDir} holds no platform data yet: run 'devgate start --data-dir ${dataDir}' once`,
      0,
    );
  }
  const lock = acquireDataDirLock(dataDir, {
    command: '--offline command',
    hint: 'stop it first, or leave out --offline to work through the running server',
  });
  try {
    const { key: tokenKey } = await loadOrCreateTokenKey(dataDir);
    const stores = openSqlitePlatformStores(dbPath, { tokenKey, logger });
    const platform = await openPlatform({ stores, options, logger, tokenKey });
    const root = await platform.orgs.root();
    if (root === undefined) {
      await platform.close();
      throw new ApiError(`${dataDir} has no root organization yet: run 'devgate start' once`, 0);
    }
    return apiOn(platform, { orgId: root.id, actor: 'cli' }, `data directory ${dataDir}`, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}
