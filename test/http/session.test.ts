import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createAuthThrottle } from '../../src/auth/throttle/from-limits.js';
import { defaultLimits } from '../../src/config/limits.js';
import { buildHttpApp } from '../../src/http/app.js';
import { openConsoleWorld, PASSWORD, sessionCookieOf } from '../helpers/console-users.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { errorMessage } from '../helpers/http-api.js';
import { callerFor, openTestPlatform } from '../helpers/platform.js';

const MINUTE = 60_000;

test('console sign-in: 200 with user, memberships and CSRF token; the cookie is HttpOnly, SameSite=Lax, Path=/, not Secure over HTTP', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.addUser('Ann@Example.com', 'staff', world.orgs.a);
  const response = await world.call({
    method: 'POST',
    url: '/api/v1/session/login',
    payload: { email: 'ann@example.COM', password: PASSWORD },
  });
  assert.equal(response.statusCode, 200);
  const body = response.json() as { user: unknown; memberships: unknown; csrfToken: string };
  assert.deepEqual(body.user, { id: ann.id, email: 'ann@example.com', name: 'ann' });
  assert.deepEqual(body.memberships, [{ orgId: world.orgs.a.id, orgName: 'Org A', role: 'staff' }]);
  assert.match(body.csrfToken, /^[A-Za-z0-9_-]{24,}$/);
  const setCookie = String(response.headers['set-cookie']);
  assert.match(setCookie, /^devgate_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  assert.doesNotMatch(setCookie, /Secure/);
  assert.equal(response.headers['cache-control'], 'no-store');

  const again = await world.call({ url: '/api/v1/session', headers: { cookie: setCookie.split(';')[0] } });
  assert.equal(again.statusCode, 200);
  assert.deepEqual(again.json(), body);
});

test('console sign-in: a wrong password and an unknown email get the same 401 answer', async (t) => {
  const world = await openConsoleWorld(t);
  await world.addUser('ann@example.com', 'admin', world.orgs.root);
  const wrong = await world.call({
    method: 'POST',
    url: '/api/v1/session/login',
    payload: { email: 'ann@example.com', password: 'not the password' },
  });
  const unknown = await world.call({
    method: 'POST',
    url: '/api/v1/session/login',
    payload: { email: 'bob@example.com', password: PASSWORD },
  });
  for (const response of [wrong, unknown]) {
    assert.equal(response.statusCode, 401);
    assert.deepEqual(response.json(), { error: { message: 'Invalid email or password.' } });
    assert.equal(sessionCookieOf(response), undefined);
  }
  assert.equal(wrong.body, unknown.body);
});

test('console sign-in is throttled like other credentials (decision 0009): 429 with Retry-After', async (t) => {
  const clock = new FakeClock();
  const platform = await openTestPlatform(t, { clock });
  const root = await platform.orgs.createRoot({ name: 'Root' });
  await platform.users.create(callerFor(root.id), {
    email: 'ann@example.com',
    password: PASSWORD,
    role: 'admin',
  });
  const logger = pino({ level: 'silent' });
  const authThrottle = createAuthThrottle(defaultLimits, logger, clock);
  const app = await buildHttpApp({ platform, logger, clock, authThrottle });
  t.after(() => app.close());
  const attempt = (password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/session/login',
      payload: { email: 'ann@example.com', password },
    });
  let last = await attempt('wrong password 0');
  for (let i = 1; i < 20 && last.statusCode === 401; i++) last = await attempt(`wrong password ${i}`);
  assert.equal(last.statusCode, 429);
  assert.ok(Number(last.headers['retry-after']) >= 1);
  // Throttled before the password is checked: the right one is refused too, until time passes.
  assert.equal((await attempt(PASSWORD)).statusCode, 429);
  clock.advance(10 * MINUTE);
  assert.equal((await attempt(PASSWORD)).statusCode, 200);
});

test('CSRF: a session write without X-CSRF-Token (or with a wrong one) is 403; with it, it is done; bearer writes need none', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.signIn(await world.addUser('ann@example.com', 'admin', world.orgs.root));
  const rename = (headers: Record<string, string>) =>
    world.call({
      method: 'PUT',
      url: `/api/v1/organization/device?deviceId=${world.aDevice.id}`,
      headers,
      payload: { name: 'Renamed' },
    });
  const missing = await rename(ann.readHeaders());
  assert.equal(missing.statusCode, 403);
  assert.equal(errorMessage(missing), 'CSRF token missing or invalid.');
  const wrong = await rename({ ...ann.readHeaders(), 'x-csrf-token': `${ann.csrfToken.slice(1)}x` });
  assert.equal(wrong.statusCode, 403);
  assert.equal((await world.platform.devices.byId(world.aDevice.id))?.name, 'A Device');
  assert.equal((await rename(ann.writeHeaders())).statusCode, 200);
  assert.equal((await world.platform.devices.byId(world.aDevice.id))?.name, 'Renamed');
  const client = await world.client(world.orgs.root);
  assert.equal((await rename(client.headers)).statusCode, 200);
});

test('roles on the server: a Viewer reads but every write is 403; Staff cannot change templates but can change devices', async (t) => {
  const world = await openConsoleWorld(t);
  const viewer = await world.signIn(await world.addUser('vic@example.com', 'viewer', world.orgs.a));
  const staff = await world.signIn(await world.addUser('sam@example.com', 'staff', world.orgs.a));
  const device = `/api/v1/organization/device?deviceId=${world.aDevice.id}`;
  assert.equal((await world.call({ url: device, headers: viewer.readHeaders() })).statusCode, 200);
  const viewerWrite = await world.call({
    method: 'PUT',
    url: device,
    headers: viewer.writeHeaders(),
    payload: { name: 'By viewer' },
  });
  assert.equal(viewerWrite.statusCode, 403);
  assert.equal(errorMessage(viewerWrite), 'Your role does not allow this.');
  const viewerToken = await world.call({
    url: `/api/v1/organization/device/token?deviceId=${world.aDevice.id}`,
    headers: viewer.readHeaders(),
  });
  assert.equal(viewerToken.statusCode, 403, 'a device token is a credential, not for read-only callers');

  const template = await world.call({
    method: 'POST',
    url: '/api/v1/organization/template/create',
    headers: staff.writeHeaders(),
    payload: { name: 'By staff' },
  });
  assert.equal(template.statusCode, 403);
  assert.equal(errorMessage(template), 'Your role does not allow this.');
  const templates = await world.call({ url: '/api/v1/organization/templates', headers: staff.readHeaders() });
  assert.equal(templates.statusCode, 200, 'Staff reads templates');
  for (const url of ['/api/v1/organization/users', '/api/v1/organization/oauth/clients']) {
    assert.equal((await world.call({ url, headers: staff.readHeaders() })).statusCode, 403, url);
  }
  const renamed = await world.call({
    method: 'PUT',
    url: device,
    headers: staff.writeHeaders(),
    payload: { name: 'By staff' },
  });
  assert.equal(renamed.statusCode, 200);
  assert.equal((renamed.json() as { name: string }).name, 'By staff');
  const created = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/create',
    headers: staff.writeHeaders(),
    payload: { templateId: world.rootTemplate.id, name: 'Made by staff' },
  });
  assert.equal(created.statusCode, 201, created.body);
});

test('X-Devgate-Org: a sub-org of a membership narrows the scope; an org out of reach is 403; none means the membership org', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.signIn(await world.addUser('ann@example.com', 'staff', world.orgs.a));
  const profile = (headers: Record<string, string>) =>
    world.call({ url: '/api/v1/organization/profile', headers });
  assert.equal((await profile(ann.readHeaders())).json().id, world.orgs.a.id);
  assert.equal((await profile(ann.readHeaders(world.orgs.a1))).json().id, world.orgs.a1.id);
  const aDevice = `/api/v1/organization/device?deviceId=${world.aDevice.id}`;
  assert.equal((await world.call({ url: aDevice, headers: ann.readHeaders(world.orgs.a1) })).statusCode, 404);
  for (const org of [world.orgs.b, world.orgs.root]) {
    const refused = await profile(ann.readHeaders(org));
    assert.equal(refused.statusCode, 403);
    assert.equal(errorMessage(refused), 'No access to this organization.');
  }
  const garbage = await profile({ ...ann.readHeaders(), 'x-devgate-org': 'abc' });
  assert.equal(garbage.statusCode, 403);
});

test('session expiry: idle after 30 min unused (use renews it, at most once a minute); absolute after 12 h whatever the use', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.signIn(await world.addUser('ann@example.com', 'viewer', world.orgs.a));
  const current = () => world.call({ url: '/api/v1/session', headers: ann.readHeaders() });
  // Used every 20 minutes, the session outlives its 30-minute idle expiry many times…
  for (let elapsed = 0; elapsed + 20 * MINUTE < 12 * 60 * MINUTE; elapsed += 20 * MINUTE) {
    world.clock.advance(20 * MINUTE);
    assert.equal((await current()).statusCode, 200, `after ${(elapsed + 20 * MINUTE) / MINUTE} min`);
  }
  // …but not its absolute expiry.
  world.clock.advance(20 * MINUTE);
  assert.equal((await current()).statusCode, 401);

  const bob = await world.signIn(await world.addUser('bob@example.com', 'viewer', world.orgs.a));
  world.clock.advance(30 * MINUTE - 1);
  const api = () => world.call({ url: '/api/v1/organization/profile', headers: bob.readHeaders() });
  assert.equal((await api()).statusCode, 200);
  world.clock.advance(30 * MINUTE);
  const idle = await api();
  assert.equal(idle.statusCode, 401);
  assert.equal(errorMessage(idle), 'Session expired or invalid.');
});

test('logout: 204, the cookie is cleared and the session ends server side', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.signIn(await world.addUser('ann@example.com', 'viewer', world.orgs.a));
  const noCsrf = await world.call({
    method: 'POST',
    url: '/api/v1/session/logout',
    headers: ann.readHeaders(),
  });
  assert.equal(noCsrf.statusCode, 403);
  const out = await world.call({
    method: 'POST',
    url: '/api/v1/session/logout',
    headers: ann.writeHeaders(),
  });
  assert.equal(out.statusCode, 204);
  assert.match(
    String(out.headers['set-cookie']),
    /^devgate_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/,
  );
  assert.equal((await world.call({ url: '/api/v1/session', headers: ann.readHeaders() })).statusCode, 401);
  const api = await world.call({ url: '/api/v1/organization/profile', headers: ann.readHeaders() });
  assert.equal(api.statusCode, 401);
});

test("a deleted user's session stops working at once; a password change ends the user's sessions", async (t) => {
  const world = await openConsoleWorld(t);
  const admin = await world.signIn(await world.addUser('root@example.com', 'admin', world.orgs.root));
  const ann = await world.signIn(await world.addUser('ann@example.com', 'staff', world.orgs.a));
  const bob = await world.signIn(await world.addUser('bob@example.com', 'staff', world.orgs.a));
  const profile = (s: typeof ann) =>
    world.call({ url: '/api/v1/organization/profile', headers: s.readHeaders() });
  assert.equal((await profile(ann)).statusCode, 200);
  const removed = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/user?userId=${ann.user.id}`,
    headers: admin.writeHeaders(),
  });
  assert.equal(removed.statusCode, 204);
  assert.equal((await profile(ann)).statusCode, 401);

  const reset = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/user/password?userId=${bob.user.id}`,
    headers: admin.writeHeaders(),
    payload: { password: 'a brand new password' },
  });
  assert.equal(reset.statusCode, 204);
  assert.equal((await profile(bob)).statusCode, 401);
  await world.signIn(bob.user, 'a brand new password');
});

test('own password change: the current password must match; the new one obeys the length rule', async (t) => {
  const world = await openConsoleWorld(t);
  const ann = await world.signIn(await world.addUser('ann@example.com', 'viewer', world.orgs.a));
  const change = (body: object) =>
    world.call({
      method: 'PUT',
      url: '/api/v1/session/password',
      headers: ann.writeHeaders(),
      payload: body,
    });
  assert.equal(
    (await change({ currentPassword: 'wrong one!!', password: 'another password' })).statusCode,
    403,
  );
  assert.equal((await change({ currentPassword: PASSWORD, password: 'short' })).statusCode, 400);
  assert.equal((await change({ currentPassword: PASSWORD, password: 'another password' })).statusCode, 204);
  assert.equal((await world.call({ url: '/api/v1/session', headers: ann.readHeaders() })).statusCode, 200);
  await world.signIn(ann.user, 'another password');
});
