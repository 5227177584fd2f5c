import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { errorMessage, openApiWorld } from '../helpers/http-api.js';

/** Status, type and body of a response: what a client can tell apart. */
function visible(response: LightMyRequestResponse) {
  return { status: response.statusCode, type: response.headers['content-type'], body: response.body };
}

test('spec §6.4 organization create (201), get, profile, update, delete', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const created = await world.call({
    method: 'POST',
    url: '/api/v1/organization/create',
    as: admin,
    payload: {
      name: 'Kyiv Branch',
      type: 'BRANCH',
      tz: 'Europe/Kyiv',
      address: { city: 'Kyiv' },
      parentOrganizationId: world.orgs.a.id,
    },
  });
  assert.equal(created.statusCode, 201, created.body);
  const org = created.json();
  assert.equal(org.name, 'Kyiv Branch');
  assert.equal(org.parentOrganizationId, world.orgs.a.id);
  assert.deepEqual(org.address, { city: 'Kyiv' });
  const read = await world.call({ url: `/api/v1/organization?orgId=${org.id}`, as: admin });
  assert.equal(read.statusCode, 200);
  assert.deepEqual(read.json(), org);

  const profile = await world.call({ url: '/api/v1/organization/profile', as: admin });
  assert.equal(profile.statusCode, 200);
  assert.equal(profile.json().id, world.orgs.root.id);
  assert.equal(profile.json().type, 'ROOT');

  const updated = await world.call({
    method: 'PUT',
    url: `/api/v1/organization?orgId=${org.id}`,
    as: admin,
    payload: { description: 'Branch office', isActive: false },
  });
  assert.equal(updated.statusCode, 200, updated.body);
  assert.equal(updated.json().description, 'Branch office');
  assert.equal(updated.json().isActive, false);
  assert.deepEqual(
    (await world.call({ url: `/api/v1/organization?orgId=${org.id}`, as: admin })).json(),
    updated.json(),
  );

  const deleted = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization?orgId=${org.id}`,
    as: admin,
  });
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  const gone = await world.call({ url: `/api/v1/organization?orgId=${org.id}`, as: admin });
  assert.equal(gone.statusCode, 404);
});

test('spec §6.4 organization list and search page through the subtree', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const all = await world.call({ url: '/api/v1/organization/list', as: admin });
  assert.equal(all.statusCode, 200);
  assert.equal(all.json().totalElements, 4);
  const page = await world.call({ url: '/api/v1/organization/list?page=1&size=2', as: admin });
  assert.equal(page.json().totalElements, 4);
  assert.equal(page.json().content.length, 2);
  const search = await world.call({ url: '/api/v1/organization/search?query=org%20a', as: admin });
  assert.equal(search.statusCode, 200);
  assert.deepEqual(
    search
      .json()
      .content.map((o: { name: string }) => o.name)
      .sort(),
    ['Org A', 'Org A1'],
  );
  const missing = await world.call({ url: '/api/v1/organization/search', as: admin });
  assert.equal(missing.statusCode, 400);
  assert.equal(errorMessage(missing), "Missing required query parameter 'query'.");
});

test('spec §5.1 bad organization input is 400 and changes nothing', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const before = (await world.call({ url: '/api/v1/organization/list', as: admin })).body;
  const bad = [
    { name: 'x'.repeat(101) },
    { name: 'ab' },
    { name: 'Bad <Name>' },
    { name: 'Fine Name', description: 'no <html>' },
    { name: 'Fine Name', tz: 'Mars/Olympus' },
    { name: 'Fine Name', type: 'ROOT' },
  ];
  for (const payload of bad) {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/organization/create',
      as: admin,
      payload,
    });
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.ok(errorMessage(response).length > 10);
  }
  const a = world.orgs.a;
  const update = await world.call({
    method: 'PUT',
    url: `/api/v1/organization?orgId=${a.id}`,
    as: admin,
    payload: { phoneNumber: '12345' },
  });
  assert.equal(update.statusCode, 400);
  assert.match(errorMessage(update), /phoneNumber/);
  assert.equal((await world.call({ url: '/api/v1/organization/list', as: admin })).body, before);
});

test('spec §5.1 organizations that cannot be deleted', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const cases: Array<[number, number]> = [
    [world.orgs.root.id, 403], // own org (and the root)
    [world.orgs.a.id, 409], // has a sub-organization and a device
    [world.orgs.b.id, 409], // has a device
  ];
  for (const [orgId, status] of cases) {
    const response = await world.call({
      method: 'DELETE',
      url: `/api/v1/organization?orgId=${orgId}`,
      as: admin,
    });
    assert.equal(response.statusCode, status, response.body);
    assert.equal(
      (await world.call({ url: `/api/v1/organization?orgId=${orgId}`, as: admin })).statusCode,
      200,
    );
  }
});

test("spec §2.2 scope: a sub-org client cannot see or change its parent's or sibling's organizations", async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const { root, a, a1, b } = world.orgs;
  const list = await world.call({ url: '/api/v1/organization/list', as: client });
  assert.deepEqual(
    list.json().content.map((o: { id: number }) => o.id),
    [a.id, a1.id],
  );
  const search = await world.call({ url: '/api/v1/organization/search?query=org', as: client });
  assert.deepEqual(
    search.json().content.map((o: { id: number }) => o.id),
    [a.id, a1.id],
  );
  assert.equal((await world.call({ url: '/api/v1/organization/profile', as: client })).json().id, a.id);
  assert.equal(
    (await world.call({ url: `/api/v1/organization?orgId=${a1.id}`, as: client })).statusCode,
    200,
  );

  for (const foreign of [root.id, b.id]) {
    const attempts = [
      { method: 'GET' as const, url: `/api/v1/organization?orgId=${foreign}` },
      {
        method: 'PUT' as const,
        url: `/api/v1/organization?orgId=${foreign}`,
        payload: { description: 'mine now' },
      },
      { method: 'DELETE' as const, url: `/api/v1/organization?orgId=${foreign}` },
      {
        method: 'POST' as const,
        url: '/api/v1/organization/create',
        payload: { name: 'Intruder', parentOrganizationId: foreign },
      },
    ];
    for (const attempt of attempts) {
      const response = await world.call({ ...attempt, as: client });
      assert.equal(response.statusCode, 404, `${attempt.method} ${attempt.url}: ${response.body}`);
    }
  }
  const admin = await world.client(root);
  assert.equal(
    (await world.call({ url: `/api/v1/organization?orgId=${b.id}`, as: admin })).json().description,
    '',
  );
  assert.equal((await world.call({ url: '/api/v1/organization/list', as: admin })).json().totalElements, 4);
});

test('spec §6.4 another org outside the scope answers exactly like a missing one', async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const admin = await world.client(world.orgs.root);
  const empty = await world.call({
    method: 'POST',
    url: '/api/v1/organization/create',
    as: admin,
    payload: { name: 'Empty Sibling' },
  });
  const id = empty.json().id;
  const foreign = visible(await world.call({ url: `/api/v1/organization?orgId=${id}`, as: client }));
  assert.equal(
    (await world.call({ method: 'DELETE', url: `/api/v1/organization?orgId=${id}`, as: admin })).statusCode,
    204,
  );
  const missing = visible(await world.call({ url: `/api/v1/organization?orgId=${id}`, as: client }));
  assert.equal(foreign.status, 404);
  assert.deepEqual(foreign, missing);
});
