import type pg from 'pg';
import { redactDatabaseUrl } from '../../store/postgres/pool.js';
import type { PlatformStores } from '../platform-stores.js';
import { checkPlatformKey } from './key-fingerprint.js';
import { createPostgresAttributeStore } from './pg-attribute-store.js';
import { createPostgresDeviceStore } from './pg-device-store.js';
import { createPostgresEventLogStore } from './pg-event-log-store.js';
import { createPostgresOAuthStore } from './pg-oauth-store.js';
import { createPostgresOrgStore } from './pg-org-store.js';
import { createPostgresStaticTokenStore } from './pg-static-token-store.js';
import { createPostgresTemplateStore } from './pg-template-store.js';
import { createPostgresUserStore } from './pg-user-store.js';
import { createPostgresValueStore } from './pg-value-store.js';
import { openPlatformPool, type PlatformPoolOptions } from './platform-pool.js';

/** The PostgreSQL platform stores, with the pool they share (OTA keeps its rows in it too). */
export interface PostgresPlatformStores extends PlatformStores {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
}

export interface OpenPostgresPlatformOptions extends PlatformPoolOptions {
  readonly tokenKey: Buffer;
}

/**
 * Connects to `url`, migrates the platform schema, checks the secret key against the one the
 * database was first used with, and opens every platform store on one pool.
 */
export async function openPostgresPlatformStores(
  url: string,
  options: OpenPostgresPlatformOptions,
): Promise<PostgresPlatformStores> {
  const pool = await openPlatformPool(url, options);
  try {
    await checkPlatformKey(pool, options.tokenKey, redactDatabaseUrl(url));
  } catch (err) {
    await pool.end();
    throw err;
  }
  const values = createPostgresValueStore(
    pool,
    options.logger === undefined ? {} : { logger: options.logger },
  );
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    pool,
    orgs: createPostgresOrgStore(pool),
    oauth: createPostgresOAuthStore(pool),
    templates: createPostgresTemplateStore(pool),
    devices: {
      devices: createPostgresDeviceStore(pool),
      staticTokens: createPostgresStaticTokenStore(pool, options.tokenKey),
      values,
      attributes: createPostgresAttributeStore(pool),
      events: createPostgresEventLogStore(pool),
    },
    users: createPostgresUserStore(pool),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close() {
      closing ??= (async () => {
        try {
          await values.flush(); // every accepted value write is committed before the pool ends
        } finally {
          await pool.end();
        }
      })();
      return closing;
    },
  };
}
