import { createSqliteOAuthStore } from '../../src/platform/sqlite/oauth-store.js';
import { describeOAuthStoreContract } from './oauth-store.contract.js';
import { insertOrgRow, openTestPlatformDb } from './sqlite-platform-db.js';

describeOAuthStoreContract('sqlite', async (t) => {
  const db = openTestPlatformDb(t);
  const root = insertOrgRow(db, 'Root', null);
  return {
    store: createSqliteOAuthStore(db),
    orgA: insertOrgRow(db, 'Org A', root),
    orgB: insertOrgRow(db, 'Org B', root),
  };
});
