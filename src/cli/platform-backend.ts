import { join } from 'node:path';
import type { StartConfig } from '../config/start-config.js';
import type { Logger } from '../observability/logger.js';
import { PLATFORM_DB_FILE } from '../platform/admin-bootstrap.js';
import type { PlatformStores } from '../platform/platform-stores.js';
import { openSqlitePlatformStores } from '../platform/sqlite/open-sqlite-platform.js';

/**
 * The platform's stores on the configured backend: PostgreSQL with `--database-url`, else SQLite
 * in `<data-dir>/platform.sqlite`. `tokenKey` seals the tokens kept at rest.
 */
export async function openPlatformStores(
  config: StartConfig,
  tokenKey: Buffer,
  logger: Logger,
): Promise<PlatformStores> {
  return openSqlitePlatformStores(join(config.server.dataDir, PLATFORM_DB_FILE), { tokenKey, logger });
}
