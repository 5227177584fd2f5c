import type { AttributeStore } from './attribute-store.js';
import type { DeviceStore } from './device-store.js';
import type { EventLogStore } from './event-log-store.js';
import type { StaticTokenStore } from './static-token-store.js';
import type { ValueStore } from './value-store.js';

/** Everything the device service persists through (one backend, e.g. SQLite or PostgreSQL). */
export interface DeviceStores {
  readonly devices: DeviceStore;
  readonly staticTokens: StaticTokenStore;
  readonly values: ValueStore;
  readonly attributes: AttributeStore;
  readonly events: EventLogStore;
}
