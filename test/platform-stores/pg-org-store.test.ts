import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConflictError } from '../../src/platform/errors.js';
import { createPostgresOrgStore } from '../../src/platform/postgres/pg-org-store.js';
import { openPlatformPool } from '../../src/platform/postgres/platform-pool.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { describeOrgStoreContract, newOrg } from './org-store.contract.js';
import { insertPgDeviceRow, insertPgTemplateRow, openTestPlatformPool } from './pg-platform-db.js';

describeOrgStoreContract(
  'postgres',
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    return {
      store: createPostgresOrgStore(pool),
      addDevice: async (orgId) => {
        await insertPgDeviceRow(pool, orgId);
      },
    };
  },
  postgresTestOptions(),
);

test(
  'PostgreSQL OrgStore - an org that owns a template cannot be deleted (no cascade to templates)',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresOrgStore(pool);
    const root = await store.insert(newOrg({ type: 'ROOT' }));
    const org = await store.insert(newOrg({ parentOrganizationId: root.id }));
    await insertPgTemplateRow(pool, org.id);
    await assert.rejects(store.delete(org.id), ConflictError);
    assert.ok(await store.get(org.id));
  },
);

test(
  'PostgreSQL OrgStore - deleting an org removes its users and OAuth clients with their tokens',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresOrgStore(pool);
    const root = await store.insert(newOrg({ type: 'ROOT' }));
    const org = await store.insert(newOrg({ parentOrganizationId: root.id }));
    await pool.query(
      "INSERT INTO users (org_id, email, name, role, password_hash, created_at) VALUES ($1, 'a@b.c', 'A', 'viewer', '!', 0)",
      [org.id],
    );
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO oauth_clients (client_id, name, org_id, redirect_urls, secret_hash, created_at)
     VALUES ('oa2-client-id_x', 'c', $1, '[]', 'h', 0) RETURNING id`,
      [org.id],
    );
    const clientId = rows[0]?.id;
    await pool.query("INSERT INTO access_tokens VALUES ('h1', $1, $2, 1, 0)", [clientId, org.id]);
    await pool.query("INSERT INTO refresh_tokens VALUES ('h2', $1, $2, 1, 0)", [clientId, org.id]);
    assert.equal(await store.delete(org.id), true);
    for (const table of ['users', 'oauth_clients', 'access_tokens', 'refresh_tokens']) {
      const counted = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
      assert.equal(counted.rows[0]?.n, 0, table);
    }
  },
);

test(
  'PostgreSQL OrgStore - a lost connection rejects instead of reading as absent',
  postgresTestOptions(),
  async (t) => {
    const { url } = await openTestPlatformPool(t);
    const closed = await openPlatformPool(url);
    const store = createPostgresOrgStore(closed);
    await closed.end();
    await assert.rejects(store.get(1));
    await assert.rejects(store.hasDevices(1));
    await assert.rejects(store.delete(1));
  },
);
