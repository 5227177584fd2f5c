import { createSqliteOtaStore } from '../../src/ota/sqlite-ota-store.js';
import { describeOtaStoreContract } from './ota-store.contract.js';
import { insertDeviceRow, insertOrgRow, openTestPlatformDb } from './sqlite-platform-db.js';

describeOtaStoreContract('sqlite', async (t) => {
  const db = openTestPlatformDb(t);
  const root = insertOrgRow(db, 'root', null);
  const orgs = [insertOrgRow(db, 'a', root), insertOrgRow(db, 'b', root)] as const;
  for (let i = 0; i < 3; i++) insertDeviceRow(db, orgs[0]);
  const ids = db.prepare('SELECT id FROM devices ORDER BY id').all() as Array<{ id: number }>;
  const devices = ids.map((row) => row.id) as [number, number, number];
  // The test's connection closes the database (openTestPlatformDb).
  return { store: createSqliteOtaStore(db, { ownsConnection: false }), orgs, devices };
});
