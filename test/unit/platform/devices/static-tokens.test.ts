import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConflictError, NotFoundError, ValidationError } from '../../../../src/platform/errors.js';
import { DeviceStatus } from '../../../../src/platform/model.js';
import { type DeviceWorld, openDeviceWorld } from './device-world.js';

async function generate(w: DeviceWorld, count: number, templateId: number | string = w.shared.id) {
  return w.platform.devices.generateStaticTokens(w.as(w.orgs.a), { templateId, count });
}

test('spec §5.9 generateStaticTokens: an UNCLAIMED device per QR token, in the token org, able to connect', async (t) => {
  const w = await openDeviceWorld(t);
  const made = await generate(w, 3, w.shared.templateId);
  assert.equal(made.length, 3);
  assert.equal(new Set(made.map((m) => m.deviceToken)).size, 3);
  for (const { staticToken, deviceToken } of made) {
    assert.match(staticToken.token, /^sqr_[A-Za-z0-9_-]{32}$/);
    assert.match(deviceToken, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(staticToken.status, 'UNCLAIMED');
    assert.equal(staticToken.orgId, w.orgs.a.id);
    assert.equal(staticToken.productId, w.shared.id);
    assert.equal(staticToken.ownerId, null);
    assert.equal(staticToken.claimedOrgId, null);
    const device = await w.platform.devices.authenticateToken(deviceToken);
    assert.equal(device?.id, staticToken.deviceId);
    assert.equal(device?.status, DeviceStatus.Unclaimed);
    assert.equal(device?.orgId, w.orgs.a.id);
    assert.equal(await w.platform.devices.revealToken(w.as(w.orgs.a), staticToken.deviceId), deviceToken);
  }
});

test('spec §5.9 generateStaticTokens: count 1..1000, org in scope, template visible', async (t) => {
  const w = await openDeviceWorld(t);
  for (const count of [0, -1, 1001, 1.5, Number.NaN])
    await assert.rejects(generate(w, count), ValidationError, `${count}`);
  assert.equal((await generate(w, 1000)).length, 1000);
  await assert.rejects(
    w.platform.devices.generateStaticTokens(w.as(w.orgs.a), {
      templateId: w.shared.id,
      count: 1,
      orgId: w.orgs.b.id,
    }),
    NotFoundError,
  );
  await assert.rejects(generate(w, 1, w.bOnly.id), NotFoundError);
});

test('spec §5.9 listStaticTokens: per org, paged, scoped', async (t) => {
  const w = await openDeviceWorld(t);
  const made = await generate(w, 5);
  await w.platform.devices.generateStaticTokens(w.as(w.orgs.b), { templateId: w.shared.id, count: 2 });
  const page = await w.platform.devices.listStaticTokens(w.as(w.orgs.a), { page: 1, size: 2 });
  assert.deepEqual(page, { content: made.slice(2, 4).map((m) => m.staticToken), totalElements: 5 });
  const fromRoot = await w.platform.devices.listStaticTokens(w.as(w.orgs.root), { orgId: w.orgs.b.id });
  assert.equal(fromRoot.totalElements, 2);
  await assert.rejects(
    w.platform.devices.listStaticTokens(w.as(w.orgs.a), { orgId: w.orgs.b.id }),
    NotFoundError,
  );
});

test('spec §5.9 claim: the device moves into the claiming org, CLAIMED, owned; its token keeps working', async (t) => {
  const w = await openDeviceWorld(t);
  const [made] = await generate(w, 1);
  assert.ok(made);
  await w.platform.devices.authenticateToken(made.deviceToken); // cached as UNCLAIMED
  w.clock.advance(1000);
  const device = await w.platform.devices.claimStaticToken(w.as(w.orgs.b1), made.staticToken.token, {
    name: 'My thermostat',
    ownerUserId: 42,
  });
  assert.equal(device.id, made.staticToken.deviceId);
  assert.equal(device.orgId, w.orgs.b1.id);
  assert.equal(device.status, DeviceStatus.Claimed);
  assert.equal(device.ownerUserId, 42);
  assert.equal(device.name, 'My thermostat');
  assert.equal(device.lastModifiedTs, w.clock.now());
  assert.deepEqual(await w.platform.devices.authenticateToken(made.deviceToken), device);
  const [token] = (await w.platform.devices.listStaticTokens(w.as(w.orgs.a), {})).content;
  assert.deepEqual(token, {
    ...made.staticToken,
    status: 'CLAIMED',
    ownerId: 42,
    claimedOrgId: w.orgs.b1.id,
  });
  // A claimed QR cannot be claimed again, by anyone.
  await assert.rejects(
    w.platform.devices.claimStaticToken(w.as(w.orgs.a), made.staticToken.token),
    ConflictError,
  );
  await assert.rejects(
    w.platform.devices.claimStaticToken(w.as(w.orgs.b1), made.staticToken.token),
    ConflictError,
  );
});

test('spec §5.9 claim: unknown QR token, target org out of scope, template not visible, bad name', async (t) => {
  const w = await openDeviceWorld(t);
  const [made] = await generate(w, 1);
  assert.ok(made);
  await assert.rejects(w.platform.devices.claimStaticToken(w.as(w.orgs.a), 'sqr_nope'), {
    name: 'NotFoundError',
    message: 'Static token is not found.',
  });
  await assert.rejects(
    w.platform.devices.claimStaticToken(w.as(w.orgs.a1), made.staticToken.token, { orgId: w.orgs.b.id }),
    NotFoundError,
  );
  await assert.rejects(
    w.platform.devices.claimStaticToken(w.as(w.orgs.a1), made.staticToken.token, { name: 'a/b' }),
    ValidationError,
  );
  const [gadget] = await w.platform.devices.generateStaticTokens(w.as(w.orgs.b), {
    templateId: w.bOnly.id,
    count: 1,
  });
  assert.ok(gadget);
  await assert.rejects(
    w.platform.devices.claimStaticToken(w.as(w.orgs.a), gadget.staticToken.token),
    ValidationError,
  );
  // Nothing was claimed on the way.
  const tokens = await w.platform.devices.listStaticTokens(w.as(w.orgs.root), { orgId: w.orgs.a.id });
  assert.equal(tokens.content[0]?.status, 'UNCLAIMED');
});

test('spec §5.9 deleteStaticToken: the device token stops working and the device is deleted', async (t) => {
  const w = await openDeviceWorld(t);
  const [unclaimed, claimed] = await generate(w, 2);
  assert.ok(unclaimed && claimed);
  await w.platform.devices.claimStaticToken(w.as(w.orgs.a1), claimed.staticToken.token);
  for (const { staticToken, deviceToken } of [unclaimed, claimed]) {
    await w.platform.devices.authenticateToken(deviceToken);
    await w.platform.devices.deleteStaticToken(w.as(w.orgs.a), staticToken.id);
    assert.equal(await w.platform.devices.authenticateToken(deviceToken), undefined);
    assert.equal(await w.platform.devices.byId(staticToken.deviceId), undefined);
  }
  assert.equal((await w.platform.devices.listStaticTokens(w.as(w.orgs.a), {})).totalElements, 0);
});

test('spec §5.9 deleteStaticToken: the token org must be in scope (same answer as a missing token)', async (t) => {
  const w = await openDeviceWorld(t);
  const [made] = await generate(w, 1);
  assert.ok(made);
  const expected = (id: number) => ({
    name: 'NotFoundError',
    message: `Static token with identifier ${id} is not found or belong to another organization.`,
  });
  await assert.rejects(
    w.platform.devices.deleteStaticToken(w.as(w.orgs.b), made.staticToken.id),
    expected(made.staticToken.id),
  );
  await assert.rejects(
    w.platform.devices.deleteStaticToken(w.as(w.orgs.a1), made.staticToken.id),
    expected(made.staticToken.id),
  );
  await assert.rejects(w.platform.devices.deleteStaticToken(w.as(w.orgs.a), 999_999), expected(999_999));
  assert.ok(await w.platform.devices.authenticateToken(made.deviceToken));
});

test('spec §5.9 the owner deleting a claimed device: it becomes unclaimed in the token org, data erased', async (t) => {
  const w = await openDeviceWorld(t);
  const [made] = await generate(w, 1);
  assert.ok(made);
  const device = await w.platform.devices.claimStaticToken(w.as(w.orgs.b1), made.staticToken.token, {
    ownerUserId: 7,
  });
  await w.platform.devices.writeValues(device.id, [
    { dataStreamId: w.shared.datastreams[0]?.id ?? 0, value: 20 },
  ]);
  await w.platform.devices.setProperty(device.id, 1, 'label', ['x']);
  await w.platform.devices.delete(w.as(w.orgs.b1), device.id);
  await assert.rejects(w.platform.devices.get(w.as(w.orgs.b1), device.id), NotFoundError);
  const back = await w.platform.devices.get(w.as(w.orgs.a), device.id);
  assert.equal(back.status, DeviceStatus.Unclaimed);
  assert.equal(back.orgId, w.orgs.a.id);
  assert.equal(back.ownerUserId, null);
  assert.deepEqual(await w.platform.devices.currentValues(device.id), []);
  assert.deepEqual(await w.platform.devices.properties(device.id), []);
  assert.equal((await w.platform.devices.authenticateToken(made.deviceToken))?.orgId, w.orgs.a.id);
  const [token] = (await w.platform.devices.listStaticTokens(w.as(w.orgs.a), {})).content;
  assert.deepEqual(token, made.staticToken);
  // It can be claimed again.
  assert.equal(
    (await w.platform.devices.claimStaticToken(w.as(w.orgs.a1), made.staticToken.token)).orgId,
    w.orgs.a1.id,
  );
});

test('spec §5.9 deleting an unclaimed static-token device deletes its token too', async (t) => {
  const w = await openDeviceWorld(t);
  const [made] = await generate(w, 1);
  assert.ok(made);
  await w.platform.devices.delete(w.as(w.orgs.a), made.staticToken.deviceId);
  assert.equal(await w.platform.devices.authenticateToken(made.deviceToken), undefined);
  assert.equal((await w.platform.devices.listStaticTokens(w.as(w.orgs.a), {})).totalElements, 0);
});
