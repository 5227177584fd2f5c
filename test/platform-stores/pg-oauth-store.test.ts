import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPostgresOAuthStore } from '../../src/platform/postgres/pg-oauth-store.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { describeOAuthStoreContract } from './oauth-store.contract.js';
import { insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';

describeOAuthStoreContract(
  'postgres',
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const root = await insertPgOrgRow(pool, 'Root', null);
    return {
      store: createPostgresOAuthStore(pool),
      orgA: await insertPgOrgRow(pool, 'Org A', root),
      orgB: await insertPgOrgRow(pool, 'Org B', root),
    };
  },
  postgresTestOptions(),
);

test(
  'PostgreSQL OAuthStore - spec §5.8 a refresh token is single use: of concurrent uses on separate connections exactly one succeeds',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t, { maxConnections: 16 });
    const store = createPostgresOAuthStore(pool);
    const org = await insertPgOrgRow(pool, 'Root', null);
    const client = await store.insertClient({
      clientId: 'oa2-client-id_race',
      name: 'race',
      orgId: org,
      redirectUrls: [],
      isActive: true,
      createdAt: 0,
      secretHash: 'scrypt$16384$8$1$salt$hash',
    });
    for (let round = 0; round < 20; round++) {
      await store.insertTokens({
        clientId: client.id,
        orgId: org,
        accessHash: `access-${round}`,
        accessExpiresAt: 1000,
        refreshHash: `refresh-${round}`,
        refreshExpiresAt: 2000 + round,
        createdAt: 0,
      });
      const results = await Promise.all(
        Array.from({ length: 12 }, () => store.consumeRefreshToken(`refresh-${round}`, client.id)),
      );
      assert.deepEqual(
        results.filter((r) => r !== undefined),
        [{ orgId: org, expiresAt: 2000 + round }],
        `round ${round}`,
      );
    }
    const left = await pool.query<{ n: number }>('SELECT count(*) AS n FROM refresh_tokens');
    assert.equal(left.rows[0]?.n, 0);
  },
);

test(
  'PostgreSQL OAuthStore - a token pair is stored whole or not at all',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresOAuthStore(pool);
    const org = await insertPgOrgRow(pool, 'Root', null);
    const client = await store.insertClient({
      clientId: 'oa2-client-id_pair',
      name: 'pair',
      orgId: org,
      redirectUrls: ['https://a.example/cb'],
      isActive: true,
      createdAt: 0,
      secretHash: 'scrypt$16384$8$1$salt$hash',
    });
    const pair = (access: string, refresh: string) => ({
      clientId: client.id,
      orgId: org,
      accessHash: access,
      accessExpiresAt: 10,
      refreshHash: refresh,
      refreshExpiresAt: 20,
      createdAt: 0,
    });
    await store.insertTokens(pair('a1', 'r1'));
    // The refresh hash is taken: the new access token must not be left behind without its pair.
    await assert.rejects(store.insertTokens(pair('a2', 'r1')));
    assert.equal(await store.findAccessToken('a2'), undefined);
    assert.ok(await store.findAccessToken('a1'));
  },
);
