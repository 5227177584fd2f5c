import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openConsoleWorld, PASSWORD } from '../helpers/console-users.js';
import { errorMessage } from '../helpers/http-api.js';

const USERS = '/api/v1/organization/users';

test('users API: an Admin of a sub-org sees and manages only users of its subtree; others are not found', async (t) => {
  const world = await openConsoleWorld(t);
  const { root, a, a1, b } = world.orgs;
  const rootAdmin = await world.addUser('root@example.com', 'admin', root);
  const aAdmin = await world.signIn(await world.addUser('a-admin@example.com', 'admin', a));
  const a1Viewer = await world.addUser('a1@example.com', 'viewer', a1);
  const bStaff = await world.addUser('b@example.com', 'staff', b);

  const list = await world.call({ url: USERS, headers: aAdmin.readHeaders() });
  assert.equal(list.statusCode, 200);
  const page = list.json() as { content: Array<{ email: string }>; totalElements: number };
  assert.deepEqual(
    page.content.map((u) => u.email),
    ['a-admin@example.com', 'a1@example.com'],
  );
  assert.equal(page.totalElements, 2);
  assert.ok(!JSON.stringify(page).includes('scrypt'), 'never the password hash');

  for (const outside of [rootAdmin, bStaff]) {
    const role = await world.call({
      method: 'PUT',
      url: `/api/v1/organization/user/role?userId=${outside.id}`,
      headers: aAdmin.writeHeaders(),
      payload: { role: 'viewer' },
    });
    assert.equal(role.statusCode, 404, outside.email);
    const removed = await world.call({
      method: 'DELETE',
      url: `/api/v1/organization/user?userId=${outside.id}`,
      headers: aAdmin.writeHeaders(),
    });
    assert.equal(removed.statusCode, 404);
  }
  // Moving a user out of the scope, or creating one there, is refused as well.
  const move = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/user/role?userId=${a1Viewer.id}`,
    headers: aAdmin.writeHeaders(),
    payload: { role: 'staff', orgId: b.id },
  });
  assert.equal(move.statusCode, 404);
  const createOutside = await world.call({
    method: 'POST',
    url: `${USERS}/create`,
    headers: aAdmin.writeHeaders(),
    payload: { email: 'new@example.com', password: PASSWORD, role: 'viewer', orgId: b.id },
  });
  assert.equal(createOutside.statusCode, 404);

  const promoted = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/user/role?userId=${a1Viewer.id}`,
    headers: aAdmin.writeHeaders(),
    payload: { role: 'staff' },
  });
  assert.equal(promoted.statusCode, 200);
  assert.deepEqual(promoted.json(), { ...a1Viewer, role: 'staff' });
});

test('users API: create (201, email unique case-insensitively), password length 10 to 256, roles checked', async (t) => {
  const world = await openConsoleWorld(t);
  const admin = await world.signIn(await world.addUser('root@example.com', 'admin', world.orgs.root));
  const create = (payload: object) =>
    world.call({ method: 'POST', url: `${USERS}/create`, headers: admin.writeHeaders(), payload });
  const made = await create({
    email: 'Cat@Example.com',
    name: 'Cat',
    password: PASSWORD,
    role: 'staff',
    orgId: world.orgs.a.id,
  });
  assert.equal(made.statusCode, 201, made.body);
  const cat = made.json() as { id: number; email: string; orgId: number; role: string; name: string };
  assert.deepEqual(
    { email: cat.email, name: cat.name, orgId: cat.orgId, role: cat.role },
    { email: 'cat@example.com', name: 'Cat', orgId: world.orgs.a.id, role: 'staff' },
  );
  const duplicate = await create({ email: 'CAT@example.com', password: PASSWORD, role: 'viewer' });
  assert.equal(duplicate.statusCode, 409);
  const short = await create({ email: 'dan@example.com', password: 'x'.repeat(9), role: 'viewer' });
  assert.equal(short.statusCode, 400);
  assert.equal(errorMessage(short), 'password must be 10 to 256 characters long.');
  assert.equal(
    (await create({ email: 'dan@example.com', password: 'x'.repeat(257), role: 'viewer' })).statusCode,
    400,
  );
  assert.equal(
    (await create({ email: 'dan@example.com', password: 'x'.repeat(256), role: 'viewer' })).statusCode,
    201,
  );
  assert.equal(
    (await create({ email: 'eve@example.com', password: PASSWORD, role: 'owner' })).statusCode,
    400,
  );
  assert.equal((await create({ email: 'not an email', password: PASSWORD, role: 'viewer' })).statusCode, 400);
  await world.signIn({ ...cat, createdAt: 0, role: 'staff' });
});

test('the last Admin of the root org can be neither deleted nor demoted (409); with a second one, both can', async (t) => {
  const world = await openConsoleWorld(t);
  const root = world.orgs.root;
  const first = await world.signIn(await world.addUser('first@example.com', 'admin', root));
  const client = await world.client(root);
  const demote = (id: number, payload: object) =>
    world.call({ method: 'PUT', url: `/api/v1/organization/user/role?userId=${id}`, as: client, payload });
  const remove = (id: number) =>
    world.call({ method: 'DELETE', url: `/api/v1/organization/user?userId=${id}`, as: client });
  assert.equal((await demote(first.user.id, { role: 'staff' })).statusCode, 409);
  assert.equal((await demote(first.user.id, { role: 'admin', orgId: world.orgs.a.id })).statusCode, 409);
  const refused = await remove(first.user.id);
  assert.equal(refused.statusCode, 409);
  assert.equal(
    errorMessage(refused),
    'The last Admin of the root organization cannot be deleted or demoted.',
  );
  const second = await world.addUser('second@example.com', 'admin', root);
  assert.equal((await demote(first.user.id, { role: 'viewer' })).statusCode, 200);
  assert.equal((await remove(second.id)).statusCode, 409, 'now the second is the last');
  assert.equal((await remove(first.user.id)).statusCode, 204);
});

test('users API is Admin only, reads included: Staff and Viewer get 403', async (t) => {
  const world = await openConsoleWorld(t);
  for (const role of ['staff', 'viewer'] as const) {
    const session = await world.signIn(await world.addUser(`${role}@example.com`, role, world.orgs.root));
    const list = await world.call({ url: USERS, headers: session.readHeaders() });
    assert.equal(list.statusCode, 403, role);
    const create = await world.call({
      method: 'POST',
      url: `${USERS}/create`,
      headers: session.writeHeaders(),
      payload: { email: `x-${role}@example.com`, password: PASSWORD, role: 'admin' },
    });
    assert.equal(create.statusCode, 403, role);
  }
});
