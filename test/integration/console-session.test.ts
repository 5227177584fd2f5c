import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_CREDENTIALS_FILE } from '../../src/platform/admin-bootstrap.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';

interface Login {
  email: string;
  password: string;
}

async function credentialsOf(dataDir: string): Promise<Login & { orgId: number }> {
  return JSON.parse(await readFile(join(dataDir, ADMIN_CREDENTIALS_FILE), 'utf8')) as Login & {
    orgId: number;
  };
}

/** A POST of JSON over HTTPS trusting `ca`; the answer's status and Set-Cookie header. */
function postHttps(url: string, ca: Buffer, body: unknown): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, setCookie: response.headers['set-cookie'] ?? [] }),
        );
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

test('console over a real socket: the first start made the admin user; sign in, use the Platform API with the cookie and CSRF token, sign out', async (t) => {
  const dataDir = await tempDataDir(t);
  const server = await startPlatformServer(t, dataDir);
  const login = await credentialsOf(dataDir);
  assert.equal(login.email, 'admin@devgate.local');
  assert.equal(login.orgId, server.admin.root.id);

  const signIn = await fetch(`${server.httpUrl}/api/v1/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: login.email, password: login.password }),
  });
  assert.equal(signIn.status, 200);
  const setCookie = signIn.headers.getSetCookie();
  assert.equal(setCookie.length, 1);
  assert.match(setCookie[0]!, /; Path=\/; HttpOnly; SameSite=Lax$/, 'no Secure over plain HTTP');
  const cookie = setCookie[0]!.split(';')[0]!;
  const session = (await signIn.json()) as { csrfToken: string; memberships: unknown };
  assert.deepEqual(session.memberships, [
    { orgId: server.admin.root.id, orgName: server.admin.root.name, role: 'admin' },
  ]);

  const create = (headers: Record<string, string>) =>
    fetch(`${server.httpUrl}/api/v1/organization/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, ...headers },
      body: JSON.stringify({ name: 'Made in the console' }),
    });
  assert.equal((await create({})).status, 403, 'no CSRF token');
  assert.equal((await create({ 'x-csrf-token': session.csrfToken })).status, 201);

  const out = await fetch(`${server.httpUrl}/api/v1/session/logout`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': session.csrfToken },
  });
  assert.equal(out.status, 204);
  const after = await fetch(`${server.httpUrl}/api/v1/organization/profile`, { headers: { cookie } });
  assert.equal(after.status, 401);
});

test('console over HTTPS: the session cookie is also Secure', async (t) => {
  const dataDir = await tempDataDir(t);
  const server = await startPlatformServer(t, dataDir, ['--https-port', '0']);
  const port = server.server.addresses.https[0];
  const certPath = server.server.tlsCertPath;
  assert.ok(port !== undefined && certPath !== undefined);
  const login = await credentialsOf(dataDir);
  const answer = await postHttps(`https://127.0.0.1:${port}/api/v1/session/login`, await readFile(certPath), {
    email: login.email,
    password: login.password,
  });
  assert.equal(answer.status, 200);
  assert.match(answer.setCookie[0] ?? '', /; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});
