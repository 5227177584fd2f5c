import type { Database } from 'better-sqlite3';
import type { DeviceStores } from '../devices/device-stores.js';
import { createSqliteAttributeStore } from './sqlite-attribute-store.js';
import { createSqliteDeviceStore } from './sqlite-device-store.js';
import { createSqliteEventLogStore } from './sqlite-event-log-store.js';
import { createSqliteStaticTokenStore } from './sqlite-static-token-store.js';
import { createSqliteValueStore } from './sqlite-value-store.js';

/** The device slice's stores on the platform SQLite database; `tokenKey` seals static tokens. */
export function openSqliteDeviceStores(db: Database, tokenKey: Buffer): DeviceStores {
  return {
    devices: createSqliteDeviceStore(db),
    staticTokens: createSqliteStaticTokenStore(db, tokenKey),
    values: createSqliteValueStore(db),
    attributes: createSqliteAttributeStore(db),
    events: createSqliteEventLogStore(db),
  };
}
