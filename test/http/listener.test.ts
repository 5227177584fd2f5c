import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { defaultLimits } from '../../src/config/limits.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { buildHttpApp, toRequestHandler } from '../../src/http/app.js';
import { createServer } from '../../src/server.js';
import { basicHeader } from '../helpers/http-api.js';
import { callerFor, openTestPlatform } from '../helpers/platform.js';

test('spec §6.3/§6.4 the HTTP API served on a real HTTP listener (fetch)', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'devgate-http-'));
  // Closed in reverse order of opening: listener, app, platform, then the data dir.
  const closers: Array<() => unknown> = [() => rm(dataDir, { recursive: true, force: true, maxRetries: 3 })];
  t.after(async () => {
    for (const close of closers.reverse()) await close();
  });
  const platform = await openTestPlatform(undefined);
  closers.push(() => platform.close());
  const root = await platform.orgs.createRoot({ name: 'Root Org' });
  const { client, secret } = await platform.oauth.createClient(callerFor(root.id), { name: 'listener test' });
  const app = await buildHttpApp({ platform, logger: pino({ level: 'silent' }) });
  closers.push(() => app.close());
  const config: ServerConfig = {
    dataDir,
    host: '127.0.0.1',
    mqttPort: null,
    mqttsPort: null,
    httpPort: 0,
    httpsPorts: [],
    persistence: false,
    limits: defaultLimits,
    auth: { allowAnonymous: true },
    logLevel: 'silent',
  };
  const server = await createServer(config, {
    httpHandler: toRequestHandler(app),
    logger: pino({ level: 'silent' }),
  });
  closers.push(() => server.close());
  const base = `http://127.0.0.1:${server.addresses.http}`;

  const tokenResponse = await fetch(`${base}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: basicHeader(client.clientId, secret) },
  });
  assert.equal(tokenResponse.status, 200);
  assert.equal(tokenResponse.headers.get('cache-control'), 'no-store');
  const tokens = (await tokenResponse.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${tokens.access_token}` };

  const created = await fetch(`${base}/api/v1/organization/create`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Over The Wire' }),
  });
  assert.equal(created.status, 201);
  const org = (await created.json()) as { id: number; parentOrganizationId: number };
  assert.equal(org.parentOrganizationId, root.id);

  const read = await fetch(`${base}/api/v1/organization?orgId=${org.id}`, { headers: auth });
  assert.equal(read.status, 200);
  assert.match(String(read.headers.get('content-type')), /^application\/json/);
  assert.equal(((await read.json()) as { name: string }).name, 'Over The Wire');

  const unauthorized = await fetch(`${base}/api/v1/organization/profile`);
  assert.equal(unauthorized.status, 401);
  assert.deepEqual(await unauthorized.json(), { error: { message: 'No token provided.' } });

  const missing = await fetch(`${base}/api/nowhere`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: { message: 'Unknown endpoint GET /api/nowhere.' } });

  const doc = await fetch(`${base}/api/openapi.json`);
  assert.equal(doc.status, 200);
  assert.equal(((await doc.json()) as { openapi: string }).openapi, '3.0.3');
});
