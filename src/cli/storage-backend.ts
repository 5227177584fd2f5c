import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { databasePoolOptions } from '../config/server-config.js';
import type { StartConfig } from '../config/start-config.js';
import { FileUploadStore } from '../device-api/upload-store.js';
import type { Logger } from '../observability/logger.js';
import type { FirmwareBlobs } from '../ota/firmware-blobs.js';
import { firmwareFiles } from '../ota/firmware-files.js';
import type { OtaStore } from '../ota/ota-store.js';
import { createPostgresFirmwareBlobs } from '../ota/postgres-firmware-blobs.js';
import { createPostgresOtaStore } from '../ota/postgres-ota-store.js';
import { createSqliteOtaStore } from '../ota/sqlite-ota-store.js';
import { PLATFORM_DB_FILE } from '../platform/admin-bootstrap.js';
import type { PlatformStores } from '../platform/platform-stores.js';
import { openPostgresPlatformStores } from '../platform/postgres/open-postgres-platform.js';
import { createPostgresUploadStore } from '../platform/postgres/pg-upload-store.js';
import { openSqlitePlatformStores } from '../platform/sqlite/open-sqlite-platform.js';
import type { UploadStore, UploadStoreOptions } from '../platform/uploads/upload-store.js';

/**
 * Everything `devgate start` keeps, on one backend: the platform's stores, Blynk.Air's rows and
 * firmware bytes, and the files devices upload. PostgreSQL with `--database-url` (nothing in the
 * data directory), else SQLite and files in `--data-dir`.
 */
export interface StorageBackend {
  readonly platform: PlatformStores;
  readonly ota: { readonly store: OtaStore; readonly firmware: FirmwareBlobs };
  readonly uploads: UploadStore;
}

/** The key device upload names are derived from: a key of their own, made from the token key. */
function uploadOptions(config: StartConfig, tokenKey: Buffer): UploadStoreOptions {
  return {
    key: createHmac('sha256', tokenKey).update('devgate device uploads').digest(),
    maxFiles: config.deviceApi.uploadMaxFiles,
  };
}

/** Opens the configured backend (migrating its schema); `tokenKey` seals the tokens kept at rest. */
export async function openStorageBackend(
  config: StartConfig,
  tokenKey: Buffer,
  logger: Logger,
): Promise<StorageBackend> {
  const { dataDir, databaseUrl } = config.server;
  if (databaseUrl !== undefined) {
    const platform = await openPostgresPlatformStores(databaseUrl, {
      tokenKey,
      logger,
      ...databasePoolOptions(config.server),
    });
    return {
      platform,
      // The pool is the platform's: OTA and uploads borrow it, the platform's close ends it.
      ota: {
        store: createPostgresOtaStore(platform.pool),
        firmware: createPostgresFirmwareBlobs(platform.pool),
      },
      uploads: createPostgresUploadStore(platform.pool, uploadOptions(config, tokenKey)),
    };
  }
  const platform = openSqlitePlatformStores(join(dataDir, PLATFORM_DB_FILE), { tokenKey, logger });
  return {
    platform,
    ota: {
      store: createSqliteOtaStore(platform.database, { ownsConnection: false }),
      firmware: firmwareFiles(dataDir),
    },
    uploads: new FileUploadStore({ dir: join(dataDir, 'uploads'), ...uploadOptions(config, tokenKey) }),
  };
}
