// The engine's store interfaces live with the broker that needs them (src/broker/store-ports.ts,
// decision 0019); store back-ends may keep importing them from here.
export type {
  EngineStores,
  LoadedSession,
  PersistedOutbound,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  RetainedStore,
  SessionStore,
} from '../broker/store-ports.js';
