export { latestVersion, type Migration, migrations } from './migrations.js';
export { openSqliteStores, type SqliteEngineStores, type SqliteStoreOptions } from './open-sqlite-stores.js';
