import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { StartConfig } from '../config/start-config.js';
import { FileUploadStore } from '../device-api/upload-store.js';
import type { DeviceUploads } from '../http/context.js';
import type { Logger } from '../observability/logger.js';
import { firmwareFiles } from '../ota/firmware-files.js';
import { openOtaService } from '../ota/ota-service.js';
import { createSqliteOtaStore } from '../ota/sqlite-ota-store.js';
import type { OtaService } from '../ota/types.js';
import { loadOrCreateTokenKey, PLATFORM_DB_FILE } from '../platform/admin-bootstrap.js';
import type { Platform } from '../platform/platform.js';
import { openPlatformDatabase } from '../platform/sqlite/database.js';
import type { DevgateServer } from '../server.js';
import { connectHost } from './demo-commands.js';

/** The parts of `devgate start` that serve files to devices: firmware (Blynk.Air) and uploads. */

/**
 * The base URL devices fetch files from (firmware, uploads): --public-url, else the local HTTP
 * listener (HTTPS when plain HTTP is off), known once the listeners are bound.
 */
export function publicUrlOf(config: StartConfig, server: () => DevgateServer | undefined): () => string {
  const host = connectHost(config.server.host);
  return () => {
    if (config.ota.publicUrl !== undefined) return config.ota.publicUrl;
    const addresses = server()?.addresses;
    const [https] = addresses?.https ?? [];
    if (addresses?.http !== undefined) return `http://${host}:${addresses.http}`;
    return https === undefined ? 'http://localhost' : `https://${host}:${https}`;
  };
}

/** Blynk.Air on the data directory: rows in the platform database (a connection of its own), bytes in files. */
export async function openOta(
  config: StartConfig,
  platform: Platform,
  logger: Logger,
  publicUrl: () => string,
): Promise<OtaService> {
  const { dataDir } = config.server;
  const { key } = await loadOrCreateTokenKey(dataDir);
  const db = openPlatformDatabase(join(dataDir, PLATFORM_DB_FILE), { logger, tokenKey: key });
  return openOtaService({
    store: createSqliteOtaStore(db),
    firmware: firmwareFiles(dataDir),
    platform,
    tokenKey: key,
    options: config.ota,
    publicUrl,
    logger,
  });
}

/** Device file uploads in `<data-dir>/uploads` (spec §6.2 row 14), named with a key of their own. */
export async function deviceUploads(config: StartConfig, publicUrl: () => string): Promise<DeviceUploads> {
  const { dataDir } = config.server;
  const { key } = await loadOrCreateTokenKey(dataDir);
  const store = new FileUploadStore({
    dir: join(dataDir, 'uploads'),
    key: createHmac('sha256', key).update('devgate device uploads').digest(),
    maxFiles: config.deviceApi.uploadMaxFiles,
  });
  return { store, maxBytes: config.deviceApi.uploadMaxBytes, publicUrl };
}
