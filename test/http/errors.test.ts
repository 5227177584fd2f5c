import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import {
  type ApiClient,
  type ApiWorld,
  basicHeader,
  errorMessage,
  openApiWorld,
  type WorldOptions,
} from '../helpers/http-api.js';

/** An API world and an OAuth client of its root org. */
async function openAsRoot(t: TestContext, options?: WorldOptions) {
  const world = await openApiWorld(t, options);
  return { world, admin: await world.client(world.orgs.root) };
}

/** POST /api/v1/organization/create with a raw `payload` sent as `contentType`. */
function createOrgRaw(world: ApiWorld, admin: ApiClient, contentType: string, payload: string) {
  return world.call({
    method: 'POST',
    url: '/api/v1/organization/create',
    as: admin,
    headers: { 'content-type': contentType },
    payload,
  });
}

test('spec §6.4 no bearer token: 401 "No token provided." with a Bearer challenge (v1 and v2)', async (t) => {
  const world = await openApiWorld(t);
  for (const url of [
    '/api/v1/organization/profile',
    `/api/v2/organization/device/datastreams?deviceId=${world.aDevice.id}`,
  ]) {
    const response = await world.call({ url });
    assert.equal(response.statusCode, 401, url);
    assert.deepEqual(response.json(), { error: { message: 'No token provided.' } });
    assert.match(String(response.headers['www-authenticate']), /^Bearer realm=/);
  }
});

test('spec §6.4 unknown or malformed bearer token: 401 "Invalid token."', async (t) => {
  const world = await openApiWorld(t);
  for (const authorization of ['Bearer not-a-real-token', 'Bearer ', 'Token abc', 'Basic eDp5']) {
    const response = await world.call({ url: '/api/v1/organization/profile', headers: { authorization } });
    assert.equal(response.statusCode, 401, authorization);
    assert.deepEqual(response.json(), { error: { message: 'Invalid token.' } });
    assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
  }
});

test('spec §6.1 unknown route: 404 in the error envelope, without echoing the query string', async (t) => {
  const world = await openApiWorld(t);
  const response = await world.call({ url: '/api/v1/nothing/here?client_secret=s3cr3t' });
  assert.equal(response.statusCode, 404);
  assert.deepEqual(response.json(), { error: { message: 'Unknown endpoint GET /api/v1/nothing/here.' } });
  assert.doesNotMatch(response.body, /s3cr3t/);
});

test('spec §6.1 malformed JSON: 400, nothing created', async (t) => {
  const { world, admin } = await openAsRoot(t);
  const before = (await world.call({ url: '/api/v1/organization/list', as: admin })).body;
  const response = await createOrgRaw(world, admin, 'application/json', '{"name": "Broken Org",');
  assert.equal(response.statusCode, 400);
  assert.equal(errorMessage(response), 'Malformed JSON in request body.');
  const empty = await createOrgRaw(world, admin, 'application/json', '');
  assert.equal(empty.statusCode, 400);
  assert.equal((await world.call({ url: '/api/v1/organization/list', as: admin })).body, before);
});

test('spec §6.1 request body over the limit: 413, nothing created', async (t) => {
  const { world, admin } = await openAsRoot(t, { bodyLimit: 1024 });
  const before = (await world.call({ url: '/api/v1/organization/templates', as: admin })).body;
  const response = await world.call({
    method: 'POST',
    url: '/api/v1/organization/template/create',
    as: admin,
    payload: { name: 'Big', description: 'x'.repeat(2000) },
  });
  assert.equal(response.statusCode, 413);
  assert.equal(errorMessage(response), 'Request body is larger than 1024 bytes.');
  assert.equal((await world.call({ url: '/api/v1/organization/templates', as: admin })).body, before);
});

test('spec §6.1 the default body limit is 2 MiB', async (t) => {
  const { world, admin } = await openAsRoot(t);
  const payload = JSON.stringify({ name: 'Huge', description: 'x'.repeat(2 * 1024 * 1024) });
  const response = await world.call({
    method: 'POST',
    url: '/api/v1/organization/template/create',
    as: admin,
    payload,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(response.statusCode, 413);
});

test('spec §6.4 a body without Content-Type is read as JSON; other types are 415', async (t) => {
  const { world, admin } = await openAsRoot(t);
  const plain = await world.app.inject({
    method: 'POST',
    url: '/api/v1/organization/create',
    headers: { ...admin.headers },
    body: Buffer.from(JSON.stringify({ name: 'No Type Org' })),
  });
  assert.equal(plain.statusCode, 201, plain.body);
  assert.equal(plain.json().name, 'No Type Org');
  const text = await createOrgRaw(world, admin, 'text/plain', 'name=x');
  assert.equal(text.statusCode, 415);
  assert.equal(errorMessage(text), 'Unsupported content type.');
});

test('spec §6.4 schema violations are 400 naming the field', async (t) => {
  const { world, admin } = await openAsRoot(t);
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/api/v1/organization/create', {}, "Missing required body field 'name'."],
    [
      'POST',
      '/api/v1/organization/create',
      { name: 'Good Name', color: 'red' },
      "Unknown body field 'color'.",
    ],
    [
      'POST',
      '/api/v1/organization/create',
      { name: 'Good Name', address: { planet: 'Mars' } },
      "Unknown body field 'address.planet'.",
    ],
    [
      'POST',
      '/api/v1/organization/create',
      { name: 'Good Name', isActive: 'maybe' },
      "Unknown body field 'isActive'.",
    ],
    [
      'POST',
      '/api/v1/organization/create',
      { name: 'x'.repeat(101) },
      "Body field 'name' must NOT have more than 100 characters.",
    ],
    [
      'POST',
      '/api/v1/organization/template/create',
      { name: 'T', datastreams: [{ name: 'a', pin: 1, type: 'Float' }] },
      "Body field 'datastreams[0].type' must be equal to one of the allowed values.",
    ],
    ['POST', '/api/v1/organization/create', [1, 2], 'Body must be object.'],
    ['GET', '/api/v1/organization?orgId=abc', undefined, "Query parameter 'orgId' must be integer."],
    ['GET', '/api/v1/organization?orgId=1&extra=1', undefined, "Unknown query parameter 'extra'."],
    ['GET', '/api/v1/organization/devices?size=5000', undefined, "Query parameter 'size' must be <= 1000."],
  ];
  for (const [method, url, payload, message] of cases) {
    const response = await world.call({
      method: method as 'GET',
      url,
      as: admin,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
    assert.equal(errorMessage(response), message);
  }
});

test('spec §6.1 unexpected failures: 500 without internals', async (t) => {
  const presence = {
    isOnline(): boolean {
      throw new Error('presence table corrupted at /var/lib/devgate/secret');
    },
  };
  const { world, admin } = await openAsRoot(t, { presence });
  const response = await world.call({
    url: `/api/v1/organization/device/online?deviceId=${world.aDevice.id}`,
    as: admin,
  });
  assert.equal(response.statusCode, 500);
  assert.deepEqual(response.json(), { error: { message: 'Internal server error.' } });
});

test('spec §6.1 an undecodable URL is 400 in the error envelope', async (t) => {
  const world = await openApiWorld(t);
  const response = await world.call({ url: '/api/v1/organization%zz' });
  assert.equal(response.statusCode, 400);
  assert.deepEqual(response.json(), { error: { message: 'Malformed URL.' } });
});

test('architecture: secrets in query strings and headers never reach the log', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
  const { world, admin } = await openAsRoot(t, { logger });
  await world.call({
    method: 'POST',
    url: `/oauth2/token?grant_type=client_credentials&client_id=${admin.clientId}&client_secret=${admin.secret}`,
  });
  await world.call({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials',
    headers: { authorization: basicHeader(admin.clientId, admin.secret) },
  });
  await world.call({ url: '/api/v1/organization/profile', as: admin });
  await world.call({ url: `/api/v1/organization/device/token?deviceId=${world.aDevice.id}`, as: admin });
  await world.call({ url: `/api/v1/nowhere?client_secret=${admin.secret}` });
  assert.ok(
    lines.some((line) => line.includes('"route":"/oauth2/token"')),
    'requests are logged',
  );
  const log = lines.join('');
  assert.ok(!log.includes(admin.secret));
  assert.ok(!log.includes(admin.accessToken));
});
