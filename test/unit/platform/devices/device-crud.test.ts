import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError, ValidationError } from '../../../../src/platform/errors.js';
import { DeviceStatus, type Organization } from '../../../../src/platform/model.js';
import { openDeviceWorld } from './device-world.js';

const notFound = (id: number) => ({
  name: 'NotFoundError',
  status: 404,
  message: `Device with identifier ${id} is not found or belong to another organization.`,
});

test('spec §5.4 create: a device in the caller org with its template, status CREATED, token once', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.templateId,
    name: "Bob's boiler_1",
    ownerUserId: 12,
  });
  assert.deepEqual(device, {
    id: device.id,
    name: "Bob's boiler_1",
    templateId: w.shared.id,
    orgId: w.orgs.a.id,
    ownerUserId: 12,
    status: DeviceStatus.Created,
    createdAt: w.clock.now(),
    lastModifiedTs: w.clock.now(),
  });
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  assert.ok(!('token' in device));
  assert.deepEqual(await w.platform.devices.get(w.as(w.orgs.a), device.id), device);
});

test('spec §5.4 create: numeric template id, a target sub-org, and the template must be visible from it', async (t) => {
  const w = await openDeviceWorld(t);
  const { device } = await w.platform.devices.create(w.as(w.orgs.root), {
    templateId: w.bOnly.id,
    name: 'x',
    orgId: w.orgs.b1.id,
  });
  assert.equal(device.orgId, w.orgs.b1.id);
  await assert.rejects(
    w.platform.devices.create(w.as(w.orgs.root), { templateId: w.bOnly.id, name: 'x', orgId: w.orgs.a.id }),
    NotFoundError,
  );
  // The target org must be in the caller's scope.
  await assert.rejects(
    w.platform.devices.create(w.as(w.orgs.a), { templateId: w.shared.id, name: 'x', orgId: w.orgs.b.id }),
    NotFoundError,
  );
  await assert.rejects(
    w.platform.devices.create(w.as(w.orgs.a), { templateId: 'TMPL00000000', name: 'x' }),
    NotFoundError,
  );
});

test('spec §5.4 name: ≤ 50 of letters, digits, spaces, apostrophes, underscores, hyphens', async (t) => {
  const w = await openDeviceWorld(t);
  const create = (name: string) =>
    w.platform.devices.create(w.as(w.orgs.a), { templateId: w.shared.id, name });
  for (const good of ['a', 'x'.repeat(50), "O'Neil - 2_b", 'Теплиця 3']) await create(good);
  for (const bad of ['', ' ', 'x'.repeat(51), 'a/b', 'a.b', 'a<b>', 'tab\tname', 'emoji 🙂']) {
    await assert.rejects(create(bad), ValidationError, JSON.stringify(bad));
  }
  const { device } = await create('ok');
  await assert.rejects(
    w.platform.devices.update(w.as(w.orgs.a), device.id, { name: 'bad/name' }),
    ValidationError,
  );
});

test('spec §6.4 scope matrix: a sub-org caller gets the identical NotFoundError for parent, sibling, other-branch and missing devices', async (t) => {
  const w = await openDeviceWorld(t);
  const caller = w.as(w.orgs.a1);
  const make = async (org: Organization) =>
    (
      await w.platform.devices.create(w.as(w.orgs.root), {
        templateId: w.shared.id,
        name: 'd',
        orgId: org.id,
      })
    ).device;
  const hidden = [await make(w.orgs.root), await make(w.orgs.a), await make(w.orgs.b), await make(w.orgs.b1)];
  const visible = [await make(w.orgs.a1), await make(w.orgs.a1x)];
  const missing = 987_654;
  const operations = {
    get: (id: number) => w.platform.devices.get(caller, id),
    update: (id: number) => w.platform.devices.update(caller, id, { name: 'renamed' }),
    delete: (id: number) => w.platform.devices.delete(caller, id),
    transfer: (id: number) => w.platform.devices.transfer(caller, id, w.orgs.a1.id),
    revealToken: (id: number) => w.platform.devices.revealToken(caller, id),
    rotateToken: (id: number) => w.platform.devices.rotateToken(caller, id),
    history: (id: number) =>
      w.platform.devices.history(caller, id, { dataStreamId: w.shared.datastreams[0]?.id ?? 0 }),
    events: (id: number) => w.platform.devices.events(caller, id, {}),
  };
  for (const [name, op] of Object.entries(operations)) {
    for (const id of [...hidden.map((d) => d.id), missing]) {
      await assert.rejects(op(id), notFound(id), `${name} ${id}`);
    }
  }
  for (const device of hidden) {
    assert.equal((await w.platform.devices.get(w.as(w.orgs.root), device.id)).name, 'd', 'untouched');
  }
  for (const device of visible) assert.equal((await w.platform.devices.get(caller, device.id)).id, device.id);
});

test('spec §6.4 list: one org by default, its subtree with includeSubOrgDevices, paged (default 50, max 1000)', async (t) => {
  const w = await openDeviceWorld(t);
  const ids: Record<string, number[]> = {};
  for (const org of [w.orgs.a, w.orgs.a1, w.orgs.a1x, w.orgs.b]) {
    ids[org.name] = [];
    for (let i = 0; i < 3; i++) {
      const { device } = await w.platform.devices.create(w.as(org), {
        templateId: w.shared.id,
        name: `d${i}`,
      });
      ids[org.name]?.push(device.id);
    }
  }
  const own = await w.platform.devices.list(w.as(w.orgs.a), {});
  assert.deepEqual(
    own.content.map((d) => d.id),
    ids['Org A'],
  );
  const tree = await w.platform.devices.list(w.as(w.orgs.a), {
    includeSubOrgDevices: true,
    page: 1,
    size: 4,
  });
  assert.equal(tree.totalElements, 9);
  assert.deepEqual(
    tree.content.map((d) => d.id),
    [...(ids['Org A'] ?? []), ...(ids['Org A1'] ?? []), ...(ids['Org A1x'] ?? [])].slice(4, 8),
  );
  const sub = await w.platform.devices.list(w.as(w.orgs.a), { orgId: w.orgs.a1.id });
  assert.deepEqual(
    sub.content.map((d) => d.id),
    ids['Org A1'],
  );
  await assert.rejects(w.platform.devices.list(w.as(w.orgs.a), { orgId: w.orgs.b.id }), NotFoundError);
  await assert.rejects(w.platform.devices.list(w.as(w.orgs.a), { size: 1001 }), ValidationError);
  await assert.rejects(w.platform.devices.list(w.as(w.orgs.a), { page: -1 }), ValidationError);
  assert.equal((await w.platform.devices.list(w.as(w.orgs.a), { size: 1000 })).content.length, 3);
});

test('spec §6.4 search: case-insensitive name substring within the caller subtree', async (t) => {
  const w = await openDeviceWorld(t);
  const create = async (org: Organization, name: string) =>
    (await w.platform.devices.create(w.as(org), { templateId: w.shared.id, name })).device;
  const hit = await create(w.orgs.a1, 'Boiler Room');
  await create(w.orgs.a1, 'Garage');
  await create(w.orgs.b, 'boiler B');
  const page = await w.platform.devices.search(w.as(w.orgs.a), 'BOILER');
  assert.deepEqual(page, { content: [hit], totalElements: 1 });
  assert.equal((await w.platform.devices.search(w.as(w.orgs.root), 'boiler')).totalElements, 2);
  // An empty query matches everything in scope.
  assert.equal((await w.platform.devices.search(w.as(w.orgs.a), '  ')).totalElements, 2);
});

test('spec §5.4 update: name and owner; lastModifiedTs from the clock', async (t) => {
  const w = await openDeviceWorld(t);
  const { device } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'old',
    ownerUserId: 3,
  });
  w.clock.advance(1000);
  const updated = await w.platform.devices.update(w.as(w.orgs.root), device.id, { name: 'new' });
  assert.deepEqual(updated, { ...device, name: 'new', lastModifiedTs: device.createdAt + 1000 });
  const unowned = await w.platform.devices.update(w.as(w.orgs.a), device.id, { ownerUserId: null });
  assert.equal(unowned.ownerUserId, null);
  assert.equal(unowned.name, 'new');
});

test('spec §5.4 delete: the device, its token and its data are gone', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'x',
  });
  await w.platform.devices.writeValues(device.id, [{ dataStreamId: 1, value: 1 }]);
  assert.ok(await w.platform.devices.authenticateToken(token));
  await w.platform.devices.delete(w.as(w.orgs.a), device.id);
  await assert.rejects(w.platform.devices.get(w.as(w.orgs.a), device.id), notFound(device.id));
  assert.equal(await w.platform.devices.authenticateToken(token), undefined);
  assert.deepEqual(await w.platform.devices.currentValues(device.id), []);
  await assert.rejects(w.platform.devices.delete(w.as(w.orgs.a), device.id), notFound(device.id));
});

test('spec §5.4 transfer: target in scope and able to see the template; the token follows the device', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'x',
  });
  assert.equal((await w.platform.devices.authenticateToken(token))?.orgId, w.orgs.a.id);
  const moved = await w.platform.devices.transfer(w.as(w.orgs.a), device.id, w.orgs.a1x.id);
  assert.equal(moved.orgId, w.orgs.a1x.id);
  assert.equal(
    (await w.platform.devices.authenticateToken(token))?.orgId,
    w.orgs.a1x.id,
    'cached device refreshed',
  );
  // Out of the caller's scope: the org service's NotFoundError.
  await assert.rejects(w.platform.devices.transfer(w.as(w.orgs.a), device.id, w.orgs.b.id), NotFoundError);
  // The b-only template is not visible from a: refused, device stays.
  const { device: gadget } = await w.platform.devices.create(w.as(w.orgs.root), {
    templateId: w.bOnly.id,
    name: 'g',
    orgId: w.orgs.b1.id,
  });
  await assert.rejects(
    w.platform.devices.transfer(w.as(w.orgs.root), gadget.id, w.orgs.a.id),
    ValidationError,
  );
  assert.equal(
    (await w.platform.devices.transfer(w.as(w.orgs.root), gadget.id, w.orgs.b.id)).orgId,
    w.orgs.b.id,
  );
  assert.equal((await w.platform.devices.get(w.as(w.orgs.b), gadget.id)).orgId, w.orgs.b.id);
});
