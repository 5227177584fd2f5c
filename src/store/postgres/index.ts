export {
  openPostgresStores,
  type PostgresEngineStores,
  type PostgresStoreOptions,
} from './open-postgres-stores.js';
export { redactDatabaseUrl } from './pool.js';
