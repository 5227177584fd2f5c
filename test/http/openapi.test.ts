import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApiWorld } from '../helpers/http-api.js';

/** Every operation the API serves (spec §6.3, §6.4 and devgate additions). */
const EXPECTED = [
  'POST /oauth2/token',
  'POST /api/v1/organization/create',
  'GET /api/v1/organization/profile',
  'GET /api/v1/organization',
  'PUT /api/v1/organization',
  'DELETE /api/v1/organization',
  'GET /api/v1/organization/list',
  'GET /api/v1/organization/search',
  'POST /api/v1/organization/device/create',
  'POST /api/v1/organization/device/provisioning-token',
  'GET /api/v1/organization/device',
  'GET /api/v1/organization/device/baseInfo',
  'PUT /api/v1/organization/device',
  'DELETE /api/v1/organization/device',
  'GET /api/v1/organization/devices',
  'GET /api/v1/organization/search/devices',
  'POST /api/v1/organization/device/transfer',
  'GET /api/v1/organization/device/token',
  'POST /api/v1/organization/device/token/rotate',
  'GET /api/v1/organization/device/datastream/history',
  'GET /api/v1/organization/device/datastreams',
  'GET /api/v2/organization/device/datastreams',
  'GET /api/v1/organization/device/online',
  'GET /api/v1/organization/device/metafield',
  'GET /api/v1/organization/device/datastreams/batch',
  'GET /api/v1/organization/device/events',
  'GET /api/v1/organization/device/live',
  'GET /api/v1/organization/gateways',
  'POST /api/v1/organization/device/datastream',
  'POST /api/v1/organization/device/datastreams',
  'POST /api/v1/organization/device/datastream/property',
  'POST /api/v1/organization/device/metafield',
  'POST /api/v1/organization/device/trigger-event',
  'POST /api/v1/organization/device/import/batch',
  'DELETE /api/v1/organization/device/clear',
  'POST /api/v1/organization/device/ping',
  'POST /api/v1/organization/device/reboot',
  'POST /api/v1/organization/device/reconfigure',
  'GET /api/v1/organization/templates',
  'GET /api/v1/organization/template',
  'GET /api/v1/organization/template/datastreams',
  'GET /api/v1/organization/template/events',
  'GET /api/v1/organization/template/metafields',
  'POST /api/v1/organization/template/create',
  'PUT /api/v1/organization/template',
  'DELETE /api/v1/organization/template',
  'POST /api/v1/organization/oauth/clients/create',
  'GET /api/v1/organization/oauth/clients',
  'GET /api/v1/organization/oauth/client',
  'POST /api/v1/organization/oauth/client/disable',
  'POST /api/v1/organization/oauth/client/enable',
  'DELETE /api/v1/organization/oauth/client',
  'GET /api/v1/organization/static-tokens',
  'POST /api/v1/organization/static-tokens/generate',
  'POST /api/v1/organization/static-tokens/claim',
  'DELETE /api/v1/organization/static-tokens',
  'GET /api/v1/organization/users',
  'POST /api/v1/organization/users/create',
  'PUT /api/v1/organization/user/role',
  'PUT /api/v1/organization/user/password',
  'DELETE /api/v1/organization/user',
  'POST /api/v1/session/login',
  'GET /api/v1/session',
  'POST /api/v1/session/logout',
  'PUT /api/v1/session/password',
].sort();

/** Device commands take only `?deviceId=`. */
const COMMANDS = /\/device\/(ping|reboot|reconfigure)$/;

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
  parameters?: Array<{ in: string; name: string; required: boolean }>;
  requestBody?: unknown;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
  };
}

function operations(doc: Document): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
}

/** Every `$ref` string anywhere in `value`. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refs(item, found);
    }
  }
  return found;
}

test('spec §6.4 GET /api/openapi.json is an OpenAPI 3 document listing every route', async (t) => {
  const world = await openApiWorld(t);
  const response = await world.call({ url: '/api/openapi.json' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const doc = JSON.parse(response.body) as Document;
  assert.equal(doc.openapi, '3.0.3');
  assert.equal(typeof doc.info.title, 'string');
  assert.deepEqual(
    operations(doc)
      .map(([name]) => name)
      .sort(),
    EXPECTED,
  );
  assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
    type: 'http',
    scheme: 'bearer',
    description: 'access_token from POST /oauth2/token',
  });
  for (const ref of refs(doc)) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
    assert.ok(name !== undefined && doc.components.schemas[name] !== undefined, `unresolved ${ref}`);
  }
});

test('spec §6.4 every operation documents its security, success and error responses', async (t) => {
  const world = await openApiWorld(t);
  const doc = (await world.call({ url: '/api/openapi.json' })).json() as Document;
  for (const [name, op] of operations(doc)) {
    if (name.includes(' /api/v1/session')) {
      // Sign-in takes email and password in its body; the other session endpoints the cookie.
      const signIn = name === 'POST /api/v1/session/login';
      assert.ok(signIn || op.security?.some((s) => 'sessionCookie' in s), `${name} security`);
    } else {
      const scheme = name.startsWith('POST /oauth2/') ? 'basicAuth' : 'bearerAuth';
      assert.ok(
        op.security?.some((s) => scheme in s),
        `${name} security`,
      );
    }
    assert.ok(
      ['200', '201', '204'].some((code) => code in op.responses),
      `${name} success response`,
    );
    assert.ok('4XX' in op.responses, `${name} error response`);
    const bodyless =
      name.includes('token') ||
      name.endsWith('/logout') ||
      name.includes('/oauth/client/') ||
      COMMANDS.test(name);
    if (name.startsWith('POST') && !bodyless) {
      assert.ok(op.requestBody !== undefined, `${name} request body`);
    }
  }
  const device = doc.paths['/api/v1/organization/device']?.get;
  assert.deepEqual(
    device?.parameters?.map((p) => [p.in, p.name, p.required]),
    [['query', 'deviceId', true]],
  );
});

test('spec §6.4 every documented operation is served (no 404 from the router)', async (t) => {
  const world = await openApiWorld(t);
  const doc = (await world.call({ url: '/api/openapi.json' })).json() as Document;
  for (const [name] of operations(doc)) {
    const [method, url] = name.split(' ') as [string, string];
    const response = await world.call({ method: method as 'GET', url });
    assert.notEqual(response.statusCode, 404, name);
  }
});
