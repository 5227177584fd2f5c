import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { PlatformStores } from '../platform-stores.js';
import { openPlatformDatabase } from './database.js';
import { createSqliteOAuthStore } from './oauth-store.js';
import { openSqliteDeviceStores } from './open-device-stores.js';
import { createSqliteOrgStore } from './org-store.js';
import { createSqliteUserStore } from './sqlite-user-store.js';
import { createSqliteTemplateStore } from './template-store.js';

/** The SQLite platform stores, with the connection they share (OTA keeps its rows in it too). */
export interface SqlitePlatformStores extends PlatformStores {
  readonly kind: 'sqlite';
  readonly database: Database;
}

/**
 * Opens (creating and migrating) the platform database `file` (or ':memory:') and every platform
 * store on one connection. `tokenKey` seals static tokens (and converts older clear-text ones).
 */
export function openSqlitePlatformStores(
  file: string,
  options: { readonly tokenKey: Buffer; readonly logger?: Logger },
): SqlitePlatformStores {
  const db = openPlatformDatabase(file, {
    tokenKey: options.tokenKey,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const devices = openSqliteDeviceStores(db, options.tokenKey);
  let closed = false;
  return {
    kind: 'sqlite',
    database: db,
    orgs: createSqliteOrgStore(db),
    oauth: createSqliteOAuthStore(db),
    templates: createSqliteTemplateStore(db),
    devices,
    users: createSqliteUserStore(db),
    ping: async () => {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await devices.values.flush(); // queued value writes are group-committed: none is left behind
      } finally {
        db.close();
      }
    },
  };
}
