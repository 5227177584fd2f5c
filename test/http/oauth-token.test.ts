import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { type ApiWorld, basicHeader, openApiWorld } from '../helpers/http-api.js';
import { callerFor } from '../helpers/platform.js';

const DAY_MS = 86_400_000;

async function newClient(world: ApiWorld, orgId = world.orgs.root.id) {
  return world.platform.oauth.createClient(callerFor(orgId), { name: 'token tests' });
}

function oauthError(response: LightMyRequestResponse): { error: string; error_description: string } {
  return response.json();
}

function assertTokens(response: LightMyRequestResponse): { access_token: string; refresh_token: string } {
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 86_400);
  assert.equal(typeof body.access_token, 'string');
  assert.equal(typeof body.refresh_token, 'string');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers.pragma, 'no-cache');
  return body;
}

async function profileStatus(world: ApiWorld, accessToken: string): Promise<number> {
  const response = await world.call({
    url: '/api/v1/organization/profile',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return response.statusCode;
}

test('spec §6.3 client_credentials with HTTP Basic; the token opens the Platform API', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const response = await world.call({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials',
    headers: { authorization: basicHeader(client.clientId, secret) },
  });
  const tokens = assertTokens(response);
  assert.equal(await profileStatus(world, tokens.access_token), 200);
});

test('spec §6.3 client_id and client_secret as query parameters', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const query = `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${secret}`;
  assertTokens(await world.call({ method: 'POST', url: `/oauth2/token?${query}` }));
});

test('spec §6.3 parameters in a form body, and grant_type in the query with credentials in the form', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const all = `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${secret}`;
  assertTokens(await world.call({ method: 'POST', url: '/oauth2/token', headers: form, payload: all }));
  const credentials = `client_id=${client.clientId}&client_secret=${secret}`;
  const mixed = {
    method: 'POST' as const,
    url: '/oauth2/token?grant_type=client_credentials',
    headers: form,
  };
  assertTokens(await world.call({ ...mixed, payload: credentials }));
});

test('spec §6.3 parameters in a JSON body', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const payload = { grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret };
  assertTokens(await world.call({ method: 'POST', url: '/oauth2/token', payload }));
});

test('RFC 6749 §5.2 wrong secret with Basic: 401 invalid_client and a Basic challenge', async (t) => {
  const world = await openApiWorld(t);
  const { client } = await newClient(world);
  const response = await world.call({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials',
    headers: { authorization: basicHeader(client.clientId, 'wrong-secret') },
  });
  assert.equal(response.statusCode, 401);
  assert.match(String(response.headers['www-authenticate']), /^Basic realm=/);
  assert.deepEqual(oauthError(response), {
    error: 'invalid_client',
    error_description: 'Client ID is not found or password is wrong.',
  });
  assert.equal(response.headers['cache-control'], 'no-store');
});

test('RFC 6749 §5.2 wrong secret in the query: 400 invalid_client, same answer as an unknown client', async (t) => {
  const world = await openApiWorld(t);
  const { client } = await newClient(world);
  const wrong = await world.call({
    method: 'POST',
    url: `/oauth2/token?grant_type=client_credentials&client_id=${client.clientId}&client_secret=nope`,
  });
  const unknown = await world.call({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials&client_id=oa2-client-id_unknown&client_secret=nope',
  });
  assert.equal(wrong.statusCode, 400);
  assert.equal(wrong.headers['www-authenticate'], undefined);
  assert.equal(oauthError(wrong).error, 'invalid_client');
  assert.equal(unknown.statusCode, wrong.statusCode);
  assert.equal(unknown.body, wrong.body);
});

test('RFC 6749 §5.2 malformed requests: no credentials, no grant_type, unsupported grant, two auth methods, repeats', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const basic = { authorization: basicHeader(client.clientId, secret) };
  const cases: Array<[string, Parameters<ApiWorld['call']>[0], number, string]> = [
    ['no credentials', { url: '/oauth2/token?grant_type=client_credentials' }, 400, 'invalid_client'],
    ['no grant_type', { url: '/oauth2/token', headers: basic }, 400, 'invalid_request'],
    ['empty grant_type', { url: '/oauth2/token?grant_type=', headers: basic }, 400, 'invalid_request'],
    [
      'password grant',
      { url: '/oauth2/token?grant_type=password', headers: basic },
      400,
      'unsupported_grant_type',
    ],
    [
      'Basic plus client_secret',
      { url: `/oauth2/token?grant_type=client_credentials&client_secret=${secret}`, headers: basic },
      400,
      'invalid_request',
    ],
    [
      'grant_type twice in the query',
      { url: '/oauth2/token?grant_type=client_credentials&grant_type=client_credentials', headers: basic },
      400,
      'invalid_request',
    ],
    [
      'grant_type in query and body',
      {
        url: '/oauth2/token?grant_type=client_credentials',
        headers: basic,
        payload: { grant_type: 'client_credentials' },
      },
      400,
      'invalid_request',
    ],
    [
      'refresh without refresh_token',
      { url: '/oauth2/token?grant_type=refresh_token', headers: basic },
      400,
      'invalid_request',
    ],
    [
      'Basic without a colon',
      {
        url: '/oauth2/token?grant_type=client_credentials',
        headers: { authorization: `Basic ${Buffer.from('x').toString('base64')}` },
      },
      401,
      'invalid_client',
    ],
    [
      'malformed JSON',
      {
        url: '/oauth2/token',
        headers: { ...basic, 'content-type': 'application/json' },
        payload: '{"grant_type":',
      },
      400,
      'invalid_request',
    ],
    [
      'JSON array body',
      { url: '/oauth2/token?grant_type=client_credentials', headers: basic, payload: '[1]' },
      400,
      'invalid_request',
    ],
  ];
  for (const [name, request, status, error] of cases) {
    const response = await world.call({ method: 'POST', ...request });
    assert.equal(response.statusCode, status, `${name}: ${response.body}`);
    const body = oauthError(response);
    assert.equal(body.error, error, name);
    assert.equal(typeof body.error_description, 'string', name);
    assert.equal(response.headers['cache-control'], 'no-store', name);
  }
});

test('spec §5.8 refresh_token grant: new tokens; a refresh token works once', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const basic = { authorization: basicHeader(client.clientId, secret) };
  const first = assertTokens(
    await world.call({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: basic }),
  );
  const refreshUrl = `/oauth2/token?grant_type=refresh_token&refresh_token=${first.refresh_token}`;
  const second = assertTokens(await world.call({ method: 'POST', url: refreshUrl, headers: basic }));
  assert.notEqual(second.access_token, first.access_token);
  assert.equal(await profileStatus(world, second.access_token), 200);
  const reused = await world.call({ method: 'POST', url: refreshUrl, headers: basic });
  assert.equal(reused.statusCode, 400);
  assert.equal(oauthError(reused).error, 'invalid_grant');
  // Form body variant of the refresh grant.
  const form = await world.call({
    method: 'POST',
    url: '/oauth2/token',
    headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `grant_type=refresh_token&refresh_token=${second.refresh_token}`,
  });
  assertTokens(form);
});

test('spec §5.8 a refresh token of another client is invalid_grant and stays usable by its own', async (t) => {
  const world = await openApiWorld(t);
  const one = await newClient(world);
  const two = await newClient(world);
  const oneBasic = { authorization: basicHeader(one.client.clientId, one.secret) };
  const twoBasic = { authorization: basicHeader(two.client.clientId, two.secret) };
  const tokens = assertTokens(
    await world.call({
      method: 'POST',
      url: '/oauth2/token?grant_type=client_credentials',
      headers: oneBasic,
    }),
  );
  const url = `/oauth2/token?grant_type=refresh_token&refresh_token=${tokens.refresh_token}`;
  const stolen = await world.call({ method: 'POST', url, headers: twoBasic });
  assert.equal(stolen.statusCode, 400);
  assert.equal(oauthError(stolen).error, 'invalid_grant');
  assertTokens(await world.call({ method: 'POST', url, headers: oneBasic }));
});

test('spec §5.8 expired access and refresh tokens (24 h) are refused', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const basic = { authorization: basicHeader(client.clientId, secret) };
  const tokens = assertTokens(
    await world.call({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: basic }),
  );
  world.clock.advance(DAY_MS - 1000);
  assert.equal(await profileStatus(world, tokens.access_token), 200);
  world.clock.advance(2000);
  const expired = await world.call({
    url: '/api/v1/organization/profile',
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(expired.statusCode, 401);
  assert.deepEqual(expired.json(), { error: { message: 'Invalid token.' } });
  const refresh = await world.call({
    method: 'POST',
    url: `/oauth2/token?grant_type=refresh_token&refresh_token=${tokens.refresh_token}`,
    headers: basic,
  });
  assert.equal(refresh.statusCode, 400);
  assert.equal(oauthError(refresh).error, 'invalid_grant');
});

test('RFC 6749 §5.2 a disabled client is unauthorized_client and its tokens stop working', async (t) => {
  const world = await openApiWorld(t);
  const { client, secret } = await newClient(world);
  const basic = { authorization: basicHeader(client.clientId, secret) };
  const tokens = assertTokens(
    await world.call({ method: 'POST', url: '/oauth2/token?grant_type=client_credentials', headers: basic }),
  );
  await world.platform.oauth.setClientActive(callerFor(world.orgs.root.id), client.id, false);
  const issue = await world.call({
    method: 'POST',
    url: '/oauth2/token?grant_type=client_credentials',
    headers: basic,
  });
  assert.equal(issue.statusCode, 400);
  assert.equal(oauthError(issue).error, 'unauthorized_client');
  const refresh = await world.call({
    method: 'POST',
    url: `/oauth2/token?grant_type=refresh_token&refresh_token=${tokens.refresh_token}`,
    headers: basic,
  });
  assert.equal(oauthError(refresh).error, 'unauthorized_client');
  assert.equal(await profileStatus(world, tokens.access_token), 401);
});

test('RFC 6749 §5.2 an oversized token request is 413 in the OAuth error shape', async (t) => {
  const world = await openApiWorld(t, { bodyLimit: 256 });
  const response = await world.call({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `grant_type=client_credentials&client_id=${'x'.repeat(400)}`,
  });
  assert.equal(response.statusCode, 413);
  assert.equal(oauthError(response).error, 'invalid_request');
});
