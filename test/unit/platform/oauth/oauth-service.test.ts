import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { NotFoundError, UnauthorizedError, ValidationError } from '../../../../src/platform/errors.js';
import { sha256Hex } from '../../../../src/platform/oauth/secret-hash.js';
import { FakeClock } from '../../../helpers/channel-harness.js';
import { openTestPlatform } from '../../../helpers/platform.js';
import { as, buildTree, openOrgsAndOAuth } from '../orgs/org-harness.js';

const clientNotFound = (id: number) =>
  new NotFoundError(`OAuth client with identifier ${id} is not found or belong to another organization.`);
const orgNotFound = (id: number) =>
  new NotFoundError(`Organization with identifier ${id} is not found or belong to another organization.`);
const HOUR = 3600;

test('spec §5.8 client - id oa2-client-id_ + 32 URL-safe chars, 40-char secret shown once', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client, secret } = await oauth.createClient(as(root.id), {
    name: ' Gateway ',
    redirectUrls: ['https://app.example/cb'],
  });
  assert.match(client.clientId, /^oa2-client-id_[A-Za-z0-9_-]{32}$/);
  assert.match(secret, /^[A-Za-z0-9_-]{40}$/);
  assert.equal(client.name, 'Gateway');
  assert.equal(client.orgId, root.id);
  assert.equal(client.isActive, true);
  assert.deepEqual(client.redirectUrls, ['https://app.example/cb']);
  const again = await oauth.getClient(as(root.id), client.id);
  assert.deepEqual(again, client);
  const listed = await oauth.listClients(as(root.id));
  for (const shown of [client, again, ...listed.content]) {
    assert.deepEqual(Object.keys(shown).sort(), [
      'clientId',
      'createdAt',
      'id',
      'isActive',
      'name',
      'orgId',
      'redirectUrls',
    ]);
    assert.ok(!JSON.stringify(shown).includes(secret));
  }
});

test('spec §9 secrets - only a scrypt hash of the secret is stored', async (t) => {
  const { orgs, oauth, db } = await openOrgsAndOAuth(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client, secret } = await oauth.createSystemClient(root.id, 'admin');
  const row = db.prepare('SELECT * FROM oauth_clients WHERE id = ?').get(client.id) as Record<
    string,
    unknown
  >;
  assert.match(String(row.secret_hash), /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(!Object.values(row).some((v) => String(v).includes(secret)));
});

test('spec §5.8 client - name ≤ 64 and ≤ 11 redirect URLs', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = as((await orgs.createRoot({ name: 'Root' })).id);
  await assert.rejects(oauth.createClient(root, { name: '' }), ValidationError);
  await assert.rejects(oauth.createClient(root, { name: 'x'.repeat(65) }), ValidationError);
  const urls = Array.from({ length: 12 }, (_, i) => `https://a.example/${i}`);
  await assert.rejects(oauth.createClient(root, { name: 'c', redirectUrls: urls }), ValidationError);
  await assert.rejects(oauth.createClient(root, { name: 'c', redirectUrls: ['not a url'] }), ValidationError);
  const ok = await oauth.createClient(root, { name: 'x'.repeat(64), redirectUrls: urls.slice(1) });
  assert.equal(ok.client.redirectUrls.length, 11);
  assert.equal((await oauth.listClients(root)).totalElements, 1);
});

test('spec §5.8 client - created in the caller org or a sub-org, never outside the scope', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const sub = await oauth.createClient(as(ids.a), { name: 'sub', orgId: ids.a11 });
  assert.equal(sub.client.orgId, ids.a11);
  await assert.rejects(oauth.createClient(as(ids.a), { name: 'x', orgId: ids.b }), orgNotFound(ids.b));
  await assert.rejects(oauth.createClient(as(ids.a), { name: 'x', orgId: ids.root }), orgNotFound(ids.root));
  await assert.rejects(oauth.createSystemClient(999, 'x'), orgNotFound(999));
});

test('spec §5.8 scope - a sub-org caller cannot see or change a parent or sibling client (same message as missing)', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const rootClient = (await oauth.createClient(as(ids.root), { name: 'root' })).client;
  const bClient = (await oauth.createClient(as(ids.b), { name: 'b' })).client;
  const a11Client = (await oauth.createClient(as(ids.a11), { name: 'a11' })).client;
  const caller = as(ids.a);
  for (const id of [rootClient.id, bClient.id, 999]) {
    await assert.rejects(oauth.getClient(caller, id), clientNotFound(id));
    await assert.rejects(oauth.setClientActive(caller, id, false), clientNotFound(id));
    await assert.rejects(oauth.deleteClient(caller, id), clientNotFound(id));
  }
  assert.equal((await oauth.getClient(as(ids.root), bClient.id)).isActive, true);
  assert.deepEqual(await oauth.getClient(caller, a11Client.id), a11Client);
  const listed = await oauth.listClients(caller);
  assert.deepEqual(listed, { content: [a11Client], totalElements: 1 });
  assert.equal((await oauth.listClients(as(ids.root), { size: 2 })).totalElements, 3);
});

test('spec §2.2 verifyClient - right secret gives the client; wrong secret or unknown id gives undefined', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client, secret } = await oauth.createClient(as(root.id), { name: 'gw' });
  assert.deepEqual(await oauth.verifyClient(client.clientId, secret), client);
  assert.equal(await oauth.verifyClient(client.clientId, `${secret.slice(0, -1)}x`), undefined);
  assert.equal(await oauth.verifyClient(client.clientId, ''), undefined);
  assert.equal(await oauth.verifyClient('oa2-client-id_unknown', secret), undefined);
  assert.equal(await oauth.verifyClient(client.clientId, 'x'.repeat(10_000)), undefined);
  await oauth.setClientActive(as(root.id), client.id, false);
  assert.deepEqual(await oauth.verifyClient(client.clientId, secret), { ...client, isActive: false });
  await oauth.deleteClient(as(root.id), client.id);
  assert.equal(await oauth.verifyClient(client.clientId, secret), undefined);
});

test('spec §2.2 verifyClient - a repeated login within 60 s skips the scrypt; unknown ids pay one', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client, secret } = await oauth.createClient(as(root.id), { name: 'gw' });
  const time = async (fn: () => Promise<unknown>) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  await oauth.verifyClient(client.clientId, secret); // fills the cache
  const cached = await time(async () => {
    for (let i = 0; i < 5; i++) assert.ok(await oauth.verifyClient(client.clientId, secret));
  });
  const unknown = await time(() => oauth.verifyClient('oa2-client-id_unknown', secret));
  const wrong = await time(() => oauth.verifyClient(client.clientId, 'wrong'));
  assert.ok(
    cached < unknown && cached < wrong,
    `5 cached ${cached} ms, unknown ${unknown} ms, wrong ${wrong} ms`,
  );
});

test('spec §6.3 tokens - client_credentials gives 43-char bearer and refresh tokens, stored as sha256', async (t) => {
  const { orgs, oauth, db } = await openOrgsAndOAuth(t, { options: { accessTokenTtlSec: 2 * HOUR } });
  const root = await orgs.createRoot({ name: 'Root' });
  const { client } = await oauth.createClient(as(root.id), { name: 'api' });
  const tokens = await oauth.issueTokens(client);
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expires_in, 2 * HOUR);
  assert.match(tokens.access_token, /^[A-Za-z0-9_-]{43}$/);
  assert.match(tokens.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(tokens.access_token, tokens.refresh_token);
  const access = db.prepare('SELECT token_hash FROM access_tokens').all() as Array<{ token_hash: string }>;
  const refresh = db.prepare('SELECT token_hash FROM refresh_tokens').all() as Array<{ token_hash: string }>;
  assert.deepEqual(access, [{ token_hash: sha256Hex(tokens.access_token) }]);
  assert.deepEqual(refresh, [{ token_hash: sha256Hex(tokens.refresh_token) }]);
  assert.deepEqual(await oauth.authenticateBearer(tokens.access_token), {
    orgId: root.id,
    actor: `oauth:${client.clientId}`,
    role: 'admin',
  });
});

test('spec §5.8 tokens - a bearer token expires after the access lifetime (fake clock)', async (t) => {
  const clock = new FakeClock();
  const { orgs, oauth } = await openTestPlatform(t, { clock, options: { accessTokenTtlSec: HOUR } });
  const root = await orgs.createRoot({ name: 'Root' });
  const { client } = await oauth.createClient(as(root.id), { name: 'api' });
  const { access_token } = await oauth.issueTokens(client);
  clock.advance(HOUR * 1000 - 1);
  assert.ok(await oauth.authenticateBearer(access_token));
  clock.advance(1);
  assert.equal(await oauth.authenticateBearer(access_token), undefined);
});

test('spec §5.8 tokens - unknown, malformed and refresh tokens are not bearer tokens', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client } = await oauth.createClient(as(root.id), { name: 'api' });
  const tokens = await oauth.issueTokens(client);
  assert.equal(await oauth.authenticateBearer(tokens.refresh_token), undefined);
  assert.equal(await oauth.authenticateBearer('A'.repeat(43)), undefined);
  assert.equal(await oauth.authenticateBearer(`${tokens.access_token}x`), undefined);
  assert.equal(await oauth.authenticateBearer(''), undefined);
});

test('spec §6.3 refresh - single use: the new pair works, the old refresh token fails', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = await orgs.createRoot({ name: 'Root' });
  const { client } = await oauth.createClient(as(root.id), { name: 'api' });
  const first = await oauth.issueTokens(client);
  const second = await oauth.refreshTokens(client, first.refresh_token);
  assert.notEqual(second.access_token, first.access_token);
  assert.ok(await oauth.authenticateBearer(second.access_token));
  await assert.rejects(oauth.refreshTokens(client, first.refresh_token), UnauthorizedError);
  const third = await oauth.refreshTokens(client, second.refresh_token);
  assert.ok(await oauth.authenticateBearer(third.access_token));
  const race = await Promise.allSettled([
    oauth.refreshTokens(client, third.refresh_token),
    oauth.refreshTokens(client, third.refresh_token),
  ]);
  assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
});

test('spec §6.3 refresh - another client, a garbage token or an expired one is refused', async (t) => {
  const clock = new FakeClock();
  const { orgs, oauth } = await openTestPlatform(t, { clock, options: { refreshTokenTtlSec: HOUR } });
  const root = await orgs.createRoot({ name: 'Root' });
  const mine = (await oauth.createClient(as(root.id), { name: 'mine' })).client;
  const other = (await oauth.createClient(as(root.id), { name: 'other' })).client;
  const tokens = await oauth.issueTokens(mine);
  await assert.rejects(oauth.refreshTokens(other, tokens.refresh_token), UnauthorizedError);
  await assert.rejects(oauth.refreshTokens(mine, 'garbage'), UnauthorizedError);
  await assert.rejects(oauth.refreshTokens(mine, tokens.access_token), UnauthorizedError);
  clock.advance(HOUR * 1000);
  await assert.rejects(oauth.refreshTokens(mine, tokens.refresh_token), UnauthorizedError);
  const fresh = await oauth.issueTokens(mine);
  clock.advance(HOUR * 1000 - 1);
  assert.ok(await oauth.refreshTokens(mine, fresh.refresh_token));
});

test('spec §5.8 tokens - a disabled client gets no tokens and its bearer tokens stop working', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = as((await orgs.createRoot({ name: 'Root' })).id);
  const { client } = await oauth.createClient(root, { name: 'api' });
  const tokens = await oauth.issueTokens(client);
  assert.ok(
    await oauth.authenticateBearer(tokens.access_token),
    'valid, and now remembered for a few seconds',
  );
  const disabled = await oauth.setClientActive(root, client.id, false);
  assert.equal(disabled.isActive, false);
  assert.equal(await oauth.authenticateBearer(tokens.access_token), undefined);
  await assert.rejects(oauth.issueTokens(client), UnauthorizedError, 'a stale active copy is not trusted');
  await assert.rejects(oauth.refreshTokens(client, tokens.refresh_token), UnauthorizedError);
  await oauth.setClientActive(root, client.id, true);
  assert.ok(await oauth.authenticateBearer(tokens.access_token));
  assert.ok(await oauth.refreshTokens(client, tokens.refresh_token), 'not consumed while disabled');
});

test('spec §5.8 tokens - deleting a client or its org ends its bearer tokens', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const ids = await buildTree(orgs);
  const { client } = await oauth.createClient(as(ids.root), { name: 'api' });
  const tokens = await oauth.issueTokens(client);
  await oauth.deleteClient(as(ids.root), client.id);
  assert.equal(await oauth.authenticateBearer(tokens.access_token), undefined);
  await assert.rejects(oauth.issueTokens(client), UnauthorizedError);
  await assert.rejects(oauth.getClient(as(ids.root), client.id), clientNotFound(client.id));

  const leafClient = await oauth.createClient(as(ids.b1), { name: 'leaf' });
  const leafTokens = await oauth.issueTokens(leafClient.client);
  await orgs.delete(as(ids.b), ids.b1);
  assert.equal(await oauth.authenticateBearer(leafTokens.access_token), undefined);
  assert.equal(await oauth.verifyClient(leafClient.client.clientId, leafClient.secret), undefined);
});

test('spec §5.8 tokens - expired tokens are pruned when new ones are issued', async (t) => {
  const clock = new FakeClock();
  const options = { accessTokenTtlSec: HOUR, refreshTokenTtlSec: 2 * HOUR };
  const { orgs, oauth, db } = await openOrgsAndOAuth(t, { clock, options });
  const root = await orgs.createRoot({ name: 'Root' });
  const { client } = await oauth.createClient(as(root.id), { name: 'api' });
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  await oauth.issueTokens(client);
  await oauth.issueTokens(client);
  clock.advance(HOUR * 1000);
  await oauth.issueTokens(client); // the first two access tokens expired: pruned
  assert.deepEqual([count('access_tokens'), count('refresh_tokens')], [1, 3]);
  clock.advance(2 * HOUR * 1000);
  await oauth.issueTokens(client);
  assert.deepEqual([count('access_tokens'), count('refresh_tokens')], [1, 1]);
});

test('spec §5.8 tokens - a remembered bearer token stops at once when its client is deleted or its org goes', async (t) => {
  const { orgs, oauth } = await openTestPlatform(t);
  const root = as((await orgs.createRoot({ name: 'Root' })).id);
  const branch = await orgs.create(root, { name: 'Branch' });
  const deleted = await oauth.createClient(root, { name: 'deleted' });
  const inBranch = await oauth.createClient(root, { name: 'branch api', orgId: branch.id });
  const first = await oauth.issueTokens(deleted.client);
  const second = await oauth.issueTokens(inBranch.client);
  assert.ok(await oauth.authenticateBearer(first.access_token));
  assert.ok(await oauth.authenticateBearer(second.access_token));
  await oauth.deleteClient(root, deleted.client.id);
  assert.equal(await oauth.authenticateBearer(first.access_token), undefined);
  await orgs.delete(root, branch.id);
  assert.equal(await oauth.authenticateBearer(second.access_token), undefined);
});
