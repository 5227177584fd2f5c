import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorMessage, openApiWorld } from '../helpers/http-api.js';

test('spec §5.9 static tokens: generate (201), list, claim, claim again (409), delete', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const generated = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/generate',
    as: admin,
    payload: { templateId: world.rootTemplate.templateId, count: 2 },
  });
  assert.equal(generated.statusCode, 201, generated.body);
  assert.equal(generated.headers['cache-control'], 'no-store');
  const tokens = generated.json() as Array<{
    id: number;
    token: string;
    deviceToken: string;
    status: string;
    deviceId: number;
  }>;
  assert.equal(tokens.length, 2);
  const [first, second] = tokens;
  assert.ok(first && second);
  assert.equal(first.status, 'UNCLAIMED');
  assert.match(first.token, /^sqr_/);
  assert.equal((await world.platform.devices.authenticateToken(first.deviceToken))?.id, first.deviceId);

  const list = await world.call({
    url: `/api/v1/organization/static-tokens?orgId=${world.orgs.root.id}&page=0&size=10`,
    as: admin,
  });
  assert.equal(list.statusCode, 200);
  assert.equal(list.json().totalElements, 2);
  assert.equal(list.json().content[0].deviceToken, undefined);

  const claimed = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/claim',
    as: admin,
    payload: { token: first.token, orgId: world.orgs.a.id, name: 'Claimed One', ownerId: 5 },
  });
  assert.equal(claimed.statusCode, 200, claimed.body);
  assert.equal(claimed.json().orgId, world.orgs.a.id);
  assert.equal(claimed.json().name, 'Claimed One');
  const again = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/claim',
    as: admin,
    payload: { token: first.token },
  });
  assert.equal(again.statusCode, 409);
  assert.equal(errorMessage(again), 'Static token is already claimed.');
  const unknown = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/claim',
    as: admin,
    payload: { token: 'sqr_nothing' },
  });
  assert.equal(unknown.statusCode, 404);

  const deleted = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/static-tokens?id=${second.id}`,
    as: admin,
  });
  assert.equal(deleted.statusCode, 204);
  assert.equal(await world.platform.devices.authenticateToken(second.deviceToken), undefined);
  const after = await world.call({ url: '/api/v1/organization/static-tokens', as: admin });
  assert.equal(after.json().totalElements, 1);
});

test('spec §5.9 bad static-token input is 4xx and creates nothing', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const cases: Array<[unknown, number, RegExp]> = [
    [{ templateId: world.rootTemplate.id, count: 0 }, 400, /'count' must be >= 1/],
    [{ templateId: world.rootTemplate.id, count: 1001 }, 400, /'count' must be <= 1000/],
    [{ templateId: 'TMPLmissing1', count: 1 }, 404, /Template with identifier TMPLmissing1/],
    [{ count: 1 }, 400, /Missing required body field 'templateId'/],
  ];
  for (const [payload, status, message] of cases) {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/organization/static-tokens/generate',
      as: admin,
      payload: payload as object,
    });
    assert.equal(response.statusCode, status, response.body);
    assert.match(errorMessage(response), message);
  }
  assert.equal(
    (await world.call({ url: '/api/v1/organization/static-tokens', as: admin })).json().totalElements,
    0,
  );
});

test("spec §2.2 scope: a sub-org client cannot list, claim into or delete a sibling's static tokens", async (t) => {
  const world = await openApiWorld(t);
  const bClient = await world.client(world.orgs.b);
  const client = await world.client(world.orgs.a);
  const made = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/generate',
    as: bClient,
    payload: { templateId: world.bTemplate.id, count: 1 },
  });
  const token = made.json()[0];
  const list = await world.call({
    url: `/api/v1/organization/static-tokens?orgId=${world.orgs.b.id}`,
    as: client,
  });
  assert.equal(list.statusCode, 404);
  assert.equal(
    (await world.call({ url: '/api/v1/organization/static-tokens', as: client })).json().totalElements,
    0,
  );
  const del = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/static-tokens?id=${token.id}`,
    as: client,
  });
  assert.equal(del.statusCode, 404);
  assert.equal(
    errorMessage(del),
    `Static token with identifier ${token.id} is not found or belong to another organization.`,
  );
  const intoSibling = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/claim',
    as: client,
    payload: { token: token.token, orgId: world.orgs.b.id },
  });
  assert.equal(intoSibling.statusCode, 404);
  const generateThere = await world.call({
    method: 'POST',
    url: '/api/v1/organization/static-tokens/generate',
    as: client,
    payload: { templateId: world.rootTemplate.id, orgId: world.orgs.b.id, count: 1 },
  });
  assert.equal(generateThere.statusCode, 404);
  assert.equal(
    (await world.call({ url: '/api/v1/organization/static-tokens', as: bClient })).json().content[0].status,
    'UNCLAIMED',
  );
});

test('devgate addition: provisioning token creates a PENDING device and returns its token (201)', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const response = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/provisioning-token',
    as: admin,
    payload: { templateId: world.rootTemplate.templateId, name: 'Fresh', orgId: world.orgs.a.id },
  });
  assert.equal(response.statusCode, 201, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  const device = response.json();
  assert.equal(device.status, 'PENDING');
  assert.equal(device.orgId, world.orgs.a.id);
  assert.equal((await world.platform.devices.authenticateToken(device.token))?.id, device.id);
  const client = await world.client(world.orgs.b);
  const foreign = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/provisioning-token',
    as: client,
    payload: { templateId: world.rootTemplate.id, name: 'Elsewhere', orgId: world.orgs.a.id },
  });
  assert.equal(foreign.statusCode, 404);
});
