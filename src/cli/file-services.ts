import type { StartConfig } from '../config/start-config.js';
import type { DeviceUploads } from '../http/context.js';
import type { Logger } from '../observability/logger.js';
import { openOtaService } from '../ota/ota-service.js';
import type { OtaService } from '../ota/types.js';
import type { Platform } from '../platform/platform.js';
import type { DevgateServer } from '../server.js';
import { connectHost } from './demo-commands.js';
import type { StorageBackend } from './storage-backend.js';

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

/** Blynk.Air on the backend's OTA rows and firmware bytes. */
export function openOta(
  config: StartConfig,
  backend: StorageBackend,
  platform: Platform,
  tokenKey: Buffer,
  logger: Logger,
  publicUrl: () => string,
): Promise<OtaService> {
  return openOtaService({
    ...backend.ota,
    platform,
    tokenKey,
    options: config.ota,
    publicUrl,
    logger,
  });
}

/** Device file uploads (spec §6.2 row 14) on the backend's upload store. */
export function deviceUploads(
  config: StartConfig,
  backend: StorageBackend,
  publicUrl: () => string,
): DeviceUploads {
  return { store: backend.uploads, maxBytes: config.deviceApi.uploadMaxBytes, publicUrl };
}
