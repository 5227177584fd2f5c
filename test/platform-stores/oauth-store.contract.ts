import assert from 'node:assert/strict';
import { type TestContext, type TestOptions, test } from 'node:test';
import type { OAuthStore, StoredOAuthClient, TokenPair } from '../../src/platform/oauth/oauth-store.js';

/** What a backend runner hands the suite: the store and two orgs (`a`, `b`) to put clients in. */
export interface OAuthStoreHarness {
  readonly store: OAuthStore;
  readonly orgA: number;
  readonly orgB: number;
}

export type OpenOAuthStore = (t: TestContext) => Promise<OAuthStoreHarness>;

const T0 = 1_700_000_000_000;
let seq = 0;

function newClient(orgId: number, overrides: Partial<StoredOAuthClient> = {}): Omit<StoredOAuthClient, 'id'> {
  seq++;
  return {
    clientId: `oa2-client-id_contract${seq}`,
    name: `client ${seq}`,
    orgId,
    redirectUrls: [],
    isActive: true,
    createdAt: T0,
    secretHash: `scrypt$16384$8$1$salt${seq}$hash${seq}`,
    ...overrides,
  };
}

function pair(client: StoredOAuthClient, tag: string, expiresAt = T0 + 1000): TokenPair {
  return {
    clientId: client.id,
    orgId: client.orgId,
    accessHash: `access-${tag}`,
    accessExpiresAt: expiresAt,
    refreshHash: `refresh-${tag}`,
    refreshExpiresAt: expiresAt + 1,
    createdAt: T0,
  };
}

/** The OAuthStore contract (src/platform/oauth/oauth-store.ts), run once per backend. */
export function describeOAuthStoreContract(
  backend: string,
  open: OpenOAuthStore,
  options: TestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`OAuthStore contract (${backend}) - ${what}`, options, fn);

  it('insertClient round-trips every field; lookups by id and by client id agree', async (t) => {
    const { store, orgA } = await open(t);
    const input = newClient(orgA, { redirectUrls: ['https://a.example/cb', 'myapp://x'], isActive: false });
    const client = await store.insertClient(input);
    assert.deepEqual(client, { id: client.id, ...input });
    assert.deepEqual(await store.getClient(client.id), client);
    assert.deepEqual(await store.getClientByClientId(input.clientId), client);
    assert.equal(await store.getClient(client.id + 100), undefined);
    assert.equal(await store.getClientByClientId('oa2-client-id_nope'), undefined);
  });

  it('a client id is unique', async (t) => {
    const { store, orgA, orgB } = await open(t);
    const first = newClient(orgA);
    await store.insertClient(first);
    await assert.rejects(store.insertClient({ ...newClient(orgB), clientId: first.clientId }));
  });

  it('listClients returns the clients of the given orgs, ordered by id, paged', async (t) => {
    const { store, orgA, orgB } = await open(t);
    const a1 = await store.insertClient(newClient(orgA));
    const b1 = await store.insertClient(newClient(orgB));
    const a2 = await store.insertClient(newClient(orgA));
    const onlyA = await store.listClients({ orgIds: [orgA], offset: 0, limit: 10 });
    assert.deepEqual(onlyA, { content: [a1, a2], totalElements: 2 });
    const both = await store.listClients({ orgIds: [orgB, orgA], offset: 1, limit: 1 });
    assert.deepEqual(both, { content: [b1], totalElements: 3 });
    assert.deepEqual(await store.listClients({ orgIds: [], offset: 0, limit: 10 }), {
      content: [],
      totalElements: 0,
    });
  });

  it('setClientActive returns the updated client; unknown id is undefined', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    assert.deepEqual(await store.setClientActive(client.id, false), { ...client, isActive: false });
    assert.equal((await store.getClient(client.id))?.isActive, false);
    assert.deepEqual(await store.setClientActive(client.id, true), client);
    assert.equal(await store.setClientActive(client.id + 100, false), undefined);
  });

  it('findAccessToken returns the current client and the expiry; unknown hashes are undefined', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    await store.insertTokens(pair(client, 'x', T0 + 5000));
    assert.deepEqual(await store.findAccessToken('access-x'), { client, expiresAt: T0 + 5000 });
    await store.setClientActive(client.id, false);
    assert.equal((await store.findAccessToken('access-x'))?.client.isActive, false);
    assert.equal(await store.findAccessToken('access-y'), undefined);
    assert.equal(await store.findAccessToken('refresh-x'), undefined);
  });

  it('consumeRefreshToken succeeds once; a second use and another client get undefined', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    const other = await store.insertClient(newClient(orgA));
    await store.insertTokens(pair(client, 'r', T0 + 10));
    assert.equal(await store.consumeRefreshToken('refresh-r', other.id), undefined);
    assert.deepEqual(await store.consumeRefreshToken('refresh-r', client.id), {
      orgId: orgA,
      expiresAt: T0 + 11,
    });
    assert.equal(await store.consumeRefreshToken('refresh-r', client.id), undefined);
    assert.equal(await store.consumeRefreshToken('access-r', client.id), undefined);
    assert.ok(await store.findAccessToken('access-r'), 'the access token of the pair stays');
  });

  it('of concurrent uses of one refresh token exactly one succeeds', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    for (const uses of [2, 8]) {
      await store.insertTokens(pair(client, `race${uses}`));
      const results = await Promise.all(
        Array.from({ length: uses }, () => store.consumeRefreshToken(`refresh-race${uses}`, client.id)),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.deepEqual(winners, [{ orgId: orgA, expiresAt: T0 + 1001 }], `${uses} concurrent uses`);
    }
  });

  it('deleteClient removes the client and all its tokens', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    const kept = await store.insertClient(newClient(orgA));
    await store.insertTokens(pair(client, 'd'));
    await store.insertTokens(pair(kept, 'k'));
    assert.equal(await store.deleteClient(client.id), true);
    assert.equal(await store.getClient(client.id), undefined);
    assert.equal(await store.findAccessToken('access-d'), undefined);
    assert.equal(await store.consumeRefreshToken('refresh-d', client.id), undefined);
    assert.equal(await store.deleteClient(client.id), false);
    assert.ok(await store.findAccessToken('access-k'));
  });

  it('pruneExpiredTokens removes tokens expired at or before now and counts them', async (t) => {
    const { store, orgA } = await open(t);
    const client = await store.insertClient(newClient(orgA));
    await store.insertTokens(pair(client, 'old', T0 + 100)); // access T0+100, refresh T0+101
    await store.insertTokens(pair(client, 'new', T0 + 200));
    assert.equal(await store.pruneExpiredTokens(T0 + 100), 1);
    assert.equal(await store.findAccessToken('access-old'), undefined);
    assert.ok(await store.consumeRefreshToken('refresh-old', client.id));
    assert.equal(await store.pruneExpiredTokens(T0 + 201), 2);
    assert.equal(await store.findAccessToken('access-new'), undefined);
    assert.equal(await store.pruneExpiredTokens(T0 + 1_000_000), 0);
  });
}
