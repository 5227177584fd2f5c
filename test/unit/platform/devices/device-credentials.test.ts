import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError } from '../../../../src/platform/errors.js';
import { DeviceStatus } from '../../../../src/platform/model.js';
import { openDeviceWorld } from './device-world.js';
import { openSpiedDevices } from './spied-devices.js';

test('spec §2.1 authenticateToken: the token finds its device; unknown tokens find nothing', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'x',
  });
  assert.deepEqual(await w.platform.devices.authenticateToken(token), device);
  const flipped = token.slice(0, 31) + (token[31] === 'A' ? 'B' : 'A');
  assert.equal(await w.platform.devices.authenticateToken(flipped), undefined);
  assert.deepEqual(await w.platform.devices.byId(device.id), device);
  assert.equal(await w.platform.devices.byId(device.id + 100), undefined);
});

test('spec §2.1 authenticateToken: malformed input is refused before any lookup', async (t) => {
  const s = await openSpiedDevices(t);
  const { token } = await s.devices.create(s.caller, { templateId: s.templateId, name: 'x' });
  for (const bad of [
    '',
    'short',
    `${token}x`,
    `${token.slice(0, 31)}=`,
    `${token.slice(0, 31)}/`,
    ' '.repeat(32),
  ]) {
    assert.equal(await s.devices.authenticateToken(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(await s.devices.authenticateToken(undefined as unknown as string), undefined);
  assert.equal(s.lookups(), 0);
});

test('spec §9 authenticateToken: cache hits skip the store; the cache is bounded', async (t) => {
  const s = await openSpiedDevices(t, 2);
  const tokens = [];
  for (let i = 0; i < 3; i++)
    tokens.push((await s.devices.create(s.caller, { templateId: s.templateId, name: `d${i}` })).token);
  const [t0 = '', t1 = '', t2 = ''] = tokens;
  await s.devices.authenticateToken(t0);
  await s.devices.authenticateToken(t0);
  await s.devices.authenticateToken(t0);
  assert.equal(s.lookups(), 1);
  await s.devices.authenticateToken(t1);
  await s.devices.authenticateToken(t2); // evicts t0 (bound 2)
  assert.equal(s.lookups(), 3);
  await s.devices.authenticateToken(t2);
  await s.devices.authenticateToken(t0);
  assert.equal(s.lookups(), 4);
});

test('spec §9 a lookup racing a rotation or a transfer never caches what it read before', async (t) => {
  const s = await openSpiedDevices(t);
  const { device, token } = await s.devices.create(s.caller, { templateId: s.templateId, name: 'x' });
  let release = s.holdLookups();
  const inFlight = s.devices.authenticateToken(token);
  const fresh = await s.devices.rotateToken(s.caller, device.id);
  release();
  assert.equal((await inFlight)?.id, device.id, 'the in-flight answer predates the rotation');
  assert.equal(await s.devices.authenticateToken(token), undefined, 'but it was not cached');
  // Same for a change of the device row while a lookup is in flight.
  release = s.holdLookups();
  const pending = s.devices.authenticateToken(fresh);
  await s.devices.update(s.caller, device.id, { name: 'renamed' });
  release();
  assert.equal((await pending)?.name, 'x');
  assert.equal((await s.devices.authenticateToken(fresh))?.name, 'renamed');
});

test('spec §9 revealToken shows the token to an authorized caller; rotateToken replaces it at once', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'x',
  });
  assert.equal(await w.platform.devices.revealToken(w.as(w.orgs.root), device.id), token);
  assert.ok(await w.platform.devices.authenticateToken(token)); // now cached
  w.clock.advance(10);
  const fresh = await w.platform.devices.rotateToken(w.as(w.orgs.a), device.id);
  assert.match(fresh, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(fresh, token);
  assert.equal(
    await w.platform.devices.authenticateToken(token),
    undefined,
    'old token dead, cache included',
  );
  assert.equal((await w.platform.devices.authenticateToken(fresh))?.id, device.id);
  assert.equal(await w.platform.devices.revealToken(w.as(w.orgs.a), device.id), fresh);
  assert.equal(
    (await w.platform.devices.get(w.as(w.orgs.a), device.id)).lastModifiedTs,
    device.createdAt + 10,
  );
});

test('spec §5.9 dynamic provisioning: PENDING with a working token, ACTIVATED by the first activate', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.createProvisioningToken(w.as(w.orgs.a), {
    templateId: w.shared.templateId,
    name: 'new one',
  });
  assert.equal(device.status, DeviceStatus.Pending);
  assert.equal(device.activatedAt, undefined);
  assert.equal((await w.platform.devices.authenticateToken(token))?.status, DeviceStatus.Pending);
  w.clock.advance(5000);
  const hardwareInfo = {
    version: '1.2.0',
    boardType: 'ESP32',
    templateId: w.shared.templateId,
    rxbuff: 1024,
  };
  const activated = await w.platform.devices.activate(device.id, hardwareInfo);
  assert.equal(activated.status, DeviceStatus.Activated);
  assert.equal(activated.activatedAt, w.clock.now());
  assert.deepEqual(activated.hardwareInfo, hardwareInfo);
  assert.equal(
    (await w.platform.devices.authenticateToken(token))?.status,
    DeviceStatus.Activated,
    'cache refreshed',
  );
  w.clock.advance(5000);
  const again = await w.platform.devices.activate(device.id, { version: '9' });
  assert.deepEqual(again, activated, 'a second activation changes nothing');
});

test('spec §5.9 activate is a no-op for devices not pending; NotFoundError for unknown ones', async (t) => {
  const w = await openDeviceWorld(t);
  const { device } = await w.platform.devices.create(w.as(w.orgs.a), { templateId: w.shared.id, name: 'x' });
  assert.deepEqual(await w.platform.devices.activate(device.id, { version: '1' }), device);
  await assert.rejects(w.platform.devices.activate(123_456, {}), NotFoundError);
});

test('spec §5.4 setHardwareInfo and recordConnection update the device row', async (t) => {
  const w = await openDeviceWorld(t);
  const { device, token } = await w.platform.devices.create(w.as(w.orgs.a), {
    templateId: w.shared.id,
    name: 'x',
  });
  await w.platform.devices.authenticateToken(token);
  await w.platform.devices.setHardwareInfo(device.id, { version: '2.0', fwType: 'TMPLx' });
  const t1 = w.clock.now() + 100;
  await w.platform.devices.recordConnection(device.id, { connected: true, at: t1, ip: '192.0.2.7' });
  await w.platform.devices.recordConnection(device.id, { connected: false, at: t1 + 50 });
  await w.platform.devices.recordConnection(device.id, { connected: true, at: t1 + 90, ip: '192.0.2.8' });
  const stored = await w.platform.devices.get(w.as(w.orgs.a), device.id);
  assert.deepEqual(stored.hardwareInfo, { version: '2.0', fwType: 'TMPLx' });
  assert.equal(stored.firstConnectTime, t1);
  assert.equal(stored.connectTime, t1 + 90);
  assert.equal(stored.disconnectTime, t1 + 50);
  assert.equal(stored.ip, '192.0.2.8');
  assert.deepEqual(await w.platform.devices.authenticateToken(token), stored, 'cache follows the row');
  await assert.rejects(
    w.platform.devices.recordConnection(999_999, { connected: true, at: t1 }),
    NotFoundError,
  );
  await assert.rejects(w.platform.devices.setHardwareInfo(999_999, {}), NotFoundError);
});
