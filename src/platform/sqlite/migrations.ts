import type { Migration } from '../../store/sqlite/migrations.js';
import { deviceSchema } from './schema/devices.js';
import { historyStagingSchema } from './schema/history-staging.js';
import { orgSchema } from './schema/orgs.js';
import { otaSchema } from './schema/ota.js';
import { templateSchema } from './schema/templates.js';

/**
 * The platform database's schema steps (`<data-dir>/platform.sqlite`), applied in order and tracked
 * with PRAGMA user_version. Never edit a shipped step: append one.
 */
export const platformMigrations: readonly Migration[] = [
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
