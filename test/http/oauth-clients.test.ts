import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicHeader, errorMessage, openApiWorld } from '../helpers/http-api.js';

test('spec §5.8 OAuth client create shows the secret once; list, get, disable, enable, delete', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const created = await world.call({
    method: 'POST',
    url: '/api/v1/organization/oauth/clients/create',
    as: admin,
    payload: { name: 'Integration', orgId: world.orgs.a.id, redirectUrls: ['https://example.com/cb'] },
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.headers['cache-control'], 'no-store');
  const client = created.json();
  assert.match(client.clientId, /^oa2-client-id_/);
  assert.equal(typeof client.secret, 'string');
  assert.equal(client.orgId, world.orgs.a.id);
  assert.deepEqual(client.redirectUrls, ['https://example.com/cb']);

  const { secret, ...publicView } = client;
  const read = await world.call({ url: `/api/v1/organization/oauth/client?id=${client.id}`, as: admin });
  assert.equal(read.statusCode, 200);
  assert.deepEqual(read.json(), publicView);
  const list = await world.call({ url: '/api/v1/organization/oauth/clients?size=100', as: admin });
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().content.some((c: { id: number }) => c.id === client.id));
  assert.doesNotMatch(list.body, new RegExp(secret));

  const token = () =>
    world.call({
      method: 'POST',
      url: '/oauth2/token?grant_type=client_credentials',
      headers: { authorization: basicHeader(client.clientId, secret) },
    });
  assert.equal((await token()).statusCode, 200);
  const disabled = await world.call({
    method: 'POST',
    url: `/api/v1/organization/oauth/client/disable?id=${client.id}`,
    as: admin,
  });
  assert.equal(disabled.statusCode, 200);
  assert.equal(disabled.json().isActive, false);
  assert.equal((await token()).json().error, 'unauthorized_client');
  const enabled = await world.call({
    method: 'POST',
    url: `/api/v1/organization/oauth/client/enable?id=${client.id}`,
    as: admin,
  });
  assert.equal(enabled.json().isActive, true);
  assert.equal((await token()).statusCode, 200);

  const deleted = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/oauth/client?id=${client.id}`,
    as: admin,
  });
  assert.equal(deleted.statusCode, 204);
  assert.equal(
    (await world.call({ url: `/api/v1/organization/oauth/client?id=${client.id}`, as: admin })).statusCode,
    404,
  );
  assert.equal((await token()).json().error, 'invalid_client');
});

test('spec §5.8 bad OAuth client input is 400 and creates nothing', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const before = (await world.call({ url: '/api/v1/organization/oauth/clients', as: admin })).body;
  const cases: Array<[unknown, RegExp]> = [
    [{ name: 'x'.repeat(65) }, /'name' must NOT have more than 64 characters/],
    [{}, /Missing required body field 'name'/],
    [
      { name: 'ok', redirectUrls: Array.from({ length: 12 }, (_, i) => `https://e.com/${i}`) },
      /'redirectUrls' must NOT have more than 11 items/,
    ],
    [{ name: 'ok', redirectUrls: ['not a url'] }, /absolute URLs/],
    [{ name: 'ok', secret: 'chosen' }, /Unknown body field 'secret'/],
  ];
  for (const [payload, message] of cases) {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/organization/oauth/clients/create',
      as: admin,
      payload: payload as object,
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.match(errorMessage(response), message);
  }
  assert.equal((await world.call({ url: '/api/v1/organization/oauth/clients', as: admin })).body, before);
});

test("spec §2.2 scope: a sub-org client cannot see or change its parent's or sibling's OAuth clients", async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const sibling = await world.client(world.orgs.b);
  const client = await world.client(world.orgs.a);
  const list = await world.call({ url: '/api/v1/organization/oauth/clients', as: client });
  assert.deepEqual(
    list.json().content.map((c: { orgId: number }) => c.orgId),
    [world.orgs.a.id],
  );
  for (const other of [admin, sibling]) {
    const id = (await world.platform.oauth.listClients({ orgId: other.orgId, actor: 'test' })).content[0]?.id;
    assert.ok(id !== undefined);
    const attempts = [
      { method: 'GET' as const, url: `/api/v1/organization/oauth/client?id=${id}` },
      { method: 'POST' as const, url: `/api/v1/organization/oauth/client/disable?id=${id}` },
      { method: 'POST' as const, url: `/api/v1/organization/oauth/client/enable?id=${id}` },
      { method: 'DELETE' as const, url: `/api/v1/organization/oauth/client?id=${id}` },
    ];
    for (const attempt of attempts) {
      const response = await world.call({ ...attempt, as: client });
      assert.equal(response.statusCode, 404, attempt.url);
      assert.equal(
        errorMessage(response),
        `OAuth client with identifier ${id} is not found or belong to another organization.`,
      );
    }
  }
  const intoParent = await world.call({
    method: 'POST',
    url: '/api/v1/organization/oauth/clients/create',
    as: client,
    payload: { name: 'Escalate', orgId: world.orgs.root.id },
  });
  assert.equal(intoParent.statusCode, 404);
  // The others still work.
  assert.equal((await world.call({ url: '/api/v1/organization/profile', as: sibling })).statusCode, 200);
  assert.equal((await world.call({ url: '/api/v1/organization/profile', as: admin })).statusCode, 200);
});
