import type { Migration } from '../../store/sqlite/migrations.js';
import { deviceSchema } from './schema/devices.js';
import { historyStagingSchema } from './schema/history-staging.js';
import { orgSchema } from './schema/orgs.js';
import { otaSchema } from './schema/ota.js';
import { sealStaticTokens } from './schema/static-token-secrets.js';
import { templateSchema } from './schema/templates.js';
import { userSchema } from './schema/users.js';

/**
 * The platform database's schema steps (`<data-dir>/platform.sqlite`), applied in order and tracked
 * with PRAGMA user_version. Never edit a shipped step: append one. `tokenKey` (the platform key)
 * is needed by steps that encrypt what older versions stored in clear text.
 */
export function platformMigrationsFor(tokenKey: Buffer | undefined): readonly Migration[] {
  return [...schemaSteps, ...secretSteps(tokenKey), ...laterSteps];
}

const schemaSteps: readonly Migration[] = [
  { version: 1, description: 'organizations, OAuth clients, access and refresh tokens', up: orgSchema },
  { version: 2, description: 'templates, datastreams, events, metadata fields', up: templateSchema },
  {
    version: 3,
    description:
      'devices, tokens, static tokens, current values, history, properties, metadata values, events',
    up: deviceSchema,
  },
  { version: 4, description: 'firmware, shipments, shipment devices', up: otaSchema },
  {
    version: 5,
    description: 'history staging table (history rows merged in sorted chunks)',
    up: historyStagingSchema,
  },
];

function secretSteps(tokenKey: Buffer | undefined): readonly Migration[] {
  return [
    {
      version: 6,
      description: 'static tokens stored hashed and encrypted, like device tokens',
      up: sealStaticTokens(tokenKey),
      scrubs: true,
    },
  ];
}

const laterSteps: readonly Migration[] = [
  { version: 7, description: 'console users with password hashes and roles, user sessions', up: userSchema },
];

/** The steps without the key: enough for a new or current database (an empty static token table). */
export const platformMigrations: readonly Migration[] = platformMigrationsFor(undefined);
