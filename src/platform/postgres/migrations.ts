import type { PgMigration, PgSchema } from '../../store/postgres/migrations.js';
import { deviceSchema } from './schema/devices.js';
import { keyCheckSchema } from './schema/key-check.js';
import { orgSchema } from './schema/orgs.js';
import { otaSchema } from './schema/ota.js';
import { templateSchema } from './schema/templates.js';
import { userSchema } from './schema/users.js';
import { valueSchema } from './schema/values.js';

/**
 * The platform's schema steps on PostgreSQL, versioned apart from the engine's in the same
 * database. Never edit a shipped step: append one.
 */
export const pgPlatformMigrations: readonly PgMigration[] = [
  {
    version: 1,
    description: 'organizations, users, OAuth clients, access and refresh tokens',
    up: orgSchema,
  },
  { version: 2, description: 'templates, datastreams, events, metadata fields', up: templateSchema },
  {
    version: 3,
    description: 'devices, tokens, static tokens, properties, metadata values, events',
    up: deviceSchema,
  },
  { version: 4, description: 'current values, history partitioned by time', up: valueSchema },
  { version: 5, description: 'firmware and its bytes, shipments, downloads, device uploads', up: otaSchema },
  { version: 6, description: 'fingerprint of the secret key tokens are sealed with', up: keyCheckSchema },
  { version: 7, description: 'console users with password hashes and roles, user sessions', up: userSchema },
];

export const platformSchema: PgSchema = {
  steps: pgPlatformMigrations,
  versionTable: 'devgate_platform_schema',
};
