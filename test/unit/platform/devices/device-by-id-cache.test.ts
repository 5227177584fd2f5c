import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, test } from 'node:test';
import { createDeviceService } from '../../../../src/platform/devices/device-service.js';
import type { DeviceStores } from '../../../../src/platform/devices/device-stores.js';
import { TokenCache } from '../../../../src/platform/devices/token-cache.js';
import { type Device, DeviceStatus, MetaFieldType } from '../../../../src/platform/model.js';
import { createOrgService } from '../../../../src/platform/orgs/org-service.js';
import type { Caller, DeviceService } from '../../../../src/platform/services.js';
import { openSqliteDeviceStores } from '../../../../src/platform/sqlite/open-device-stores.js';
import { createTemplateService } from '../../../../src/platform/templates/template-service.js';
import { callerFor, openPlatformDeps } from '../../../helpers/platform.js';

interface Setup {
  readonly devices: DeviceService;
  readonly stores: DeviceStores;
  readonly root: Caller;
  readonly otherOrgId: number;
  readonly templateId: number;
  readonly nameFieldId: number;
  /** A new device whose token was authenticated (so it is cached). */
  cachedDevice(create?: 'plain' | 'provisioning'): Promise<{ device: Device; token: string }>;
}

/**
 * A device service on real SQLite whose stores the test reads directly (the truth); `wrap` may
 * change what the service's stores do (the test's reads stay direct).
 */
async function setup(
  t: TestContext,
  wrap: (stores: DeviceStores) => DeviceStores = (s) => s,
): Promise<Setup> {
  const deps = openPlatformDeps(t);
  const orgs = await createOrgService(deps, deps.stores.orgs);
  const rootOrg = await orgs.createRoot({ name: 'Root' });
  const root = callerFor(rootOrg.id);
  const other = await orgs.create(root, { name: 'Other' });
  const templates = await createTemplateService(deps, orgs, deps.stores.templates);
  const template = await templates.create(root, { name: 'T' });
  const nameField = template.metaFields.find((f) => f.type === MetaFieldType.DeviceName);
  assert.ok(nameField);
  const stores = openSqliteDeviceStores(deps.db, deps.tokenKey);
  const devices = createDeviceService(deps, orgs, templates, { stores: wrap(stores) });
  return {
    devices,
    stores,
    root,
    otherOrgId: other.id,
    templateId: template.id,
    nameFieldId: nameField.id,
    async cachedDevice(create = 'plain') {
      const input = { templateId: template.id, name: 'd' };
      const made =
        create === 'plain'
          ? await devices.create(root, input)
          : await devices.createProvisioningToken(root, input);
      assert.ok(await devices.authenticateToken(made.token));
      assert.ok(devices.peekById(made.device.id), 'cached after authentication');
      return made;
    },
  };
}

/** What the cache serves equals the stored row, or it serves nothing (then byId reads the store). */
async function assertCurrent(s: Setup, deviceId: number, label: string): Promise<void> {
  const stored = await s.stores.devices.get(deviceId);
  const peeked = s.devices.peekById(deviceId);
  if (peeked !== undefined) assert.deepEqual(peeked, stored, `${label}: peekById`);
  assert.deepEqual(await s.devices.byId(deviceId), stored, `${label}: byId`);
}

describe('device by id from the authentication cache (spec §9: a change takes effect at once)', () => {
  test('spec §5.4 update, transfer and the Device Name field refresh the cached device', async (t) => {
    const s = await setup(t);
    const { device } = await s.cachedDevice();
    await s.devices.update(s.root, device.id, { name: 'renamed', ownerUserId: 7 });
    await assertCurrent(s, device.id, 'update');
    assert.equal(s.devices.peekById(device.id)?.name, 'renamed');
    await s.devices.transfer(s.root, device.id, s.otherOrgId);
    await assertCurrent(s, device.id, 'transfer');
    assert.equal(s.devices.peekById(device.id)?.orgId, s.otherOrgId);
    await s.devices.setMetaValue(device.id, s.nameFieldId, 'by meta');
    await assertCurrent(s, device.id, 'Device Name meta field');
    assert.equal(s.devices.peekById(device.id)?.name, 'by meta');
  });

  test('spec §5.9 activation, hardware info and connection bookkeeping refresh the cached device', async (t) => {
    const s = await setup(t);
    const { device } = await s.cachedDevice('provisioning');
    await s.devices.activate(device.id, { version: '1.0.0' });
    await assertCurrent(s, device.id, 'activate');
    await s.devices.setHardwareInfo(device.id, { version: '2.0.0' });
    await assertCurrent(s, device.id, 'hardware info');
    await s.devices.recordConnection(device.id, { connected: true, at: 1000, ip: '10.0.0.1' });
    await assertCurrent(s, device.id, 'connect');
    await s.devices.recordConnection(device.id, { connected: false, at: 2000 });
    await assertCurrent(s, device.id, 'disconnect');
    assert.equal(s.devices.peekById(device.id)?.disconnectTime, 2000);
  });

  test('spec §5.9 a write that commits first but answers last does not leave its older row in the cache', async (t) => {
    // PostgreSQL: a connection time and an activation written on two pool connections at once may
    // answer in the other order than they committed. Here the connection write commits at once
    // and answers only when the test lets it.
    let answer = (): void => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const s = await setup(t, (stores) => ({
      ...stores,
      devices: {
        ...stores.devices,
        async recordConnections(records) {
          const rows = await stores.devices.recordConnections(records);
          await answered;
          return rows;
        },
      },
    }));
    const { device } = await s.cachedDevice('provisioning');
    const connected = s.devices.recordConnection(device.id, { connected: true, at: 1000 });
    await new Promise((resolve) => setImmediate(resolve));
    const activated = s.devices.activate(device.id, { version: '0.1' });
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    await Promise.all([connected, activated]);
    assert.equal(s.devices.peekById(device.id)?.status, DeviceStatus.Activated);
    await assertCurrent(s, device.id, 'connection answered after the activation committed');
  });

  test('spec §9 token rotation and deletion drop the device from the cache', async (t) => {
    const s = await setup(t);
    const rotated = await s.cachedDevice();
    await s.devices.rotateToken(s.root, rotated.device.id);
    assert.equal(s.devices.peekById(rotated.device.id), undefined);
    await assertCurrent(s, rotated.device.id, 'rotated');
    const deleted = await s.cachedDevice();
    await s.devices.delete(s.root, deleted.device.id);
    assert.equal(s.devices.peekById(deleted.device.id), undefined);
    assert.equal(await s.devices.byId(deleted.device.id), undefined);
  });

  test('spec §5.9 static tokens: claim, delete of a claimed device (unclaim), token deletion', async (t) => {
    const s = await setup(t);
    const [made] = await s.devices.generateStaticTokens(s.root, { templateId: s.templateId, count: 1 });
    assert.ok(made);
    const deviceId = made.staticToken.deviceId;
    assert.ok(await s.devices.authenticateToken(made.deviceToken));
    await s.devices.claimStaticToken(s.root, made.staticToken.token, { orgId: s.otherOrgId, name: 'mine' });
    await assertCurrent(s, deviceId, 'claim');
    assert.equal(s.devices.peekById(deviceId)?.orgId, s.otherOrgId);
    await s.devices.delete(s.root, deviceId); // a claimed device returns to the token's org, unclaimed
    await assertCurrent(s, deviceId, 'unclaim');
    assert.equal(s.devices.peekById(deviceId)?.orgId, made.staticToken.orgId);
    await s.devices.deleteStaticToken(s.root, made.staticToken.id);
    assert.equal(s.devices.peekById(deviceId), undefined);
    assert.equal(await s.devices.byId(deviceId), undefined);
  });

  test('spec §9 a device never authenticated is not served from memory; byId reads it', async (t) => {
    const s = await setup(t);
    const { device } = await s.devices.create(s.root, { templateId: s.templateId, name: 'cold' });
    assert.equal(s.devices.peekById(device.id), undefined);
    assert.deepEqual(await s.devices.byId(device.id), device);
    assert.equal(await s.devices.byId(device.id + 1000), undefined);
  });
});

describe('token cache recency (spec §9: bounded, least recently used goes first)', () => {
  const device = (id: number): Device => ({ id }) as Device;

  test('spec §9 random gets, peeks by id, sets, refreshes and invalidations match a reference LRU', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const max = 5;
    const cache = new TokenCache(max);
    /** Reference: [hash, id] pairs, oldest first. */
    let model: Array<[string, number]> = [];
    const use = (i: number) => {
      const [pair] = model.splice(i, 1);
      if (pair !== undefined) model.push(pair);
    };
    for (let step = 0; step < 5000; step++) {
      const id = random(9);
      const hash = `h${id}-${random(2)}`;
      const op = random(5);
      if (op === 0) {
        const i = model.findIndex(([h]) => h === hash);
        assert.equal(cache.get(hash)?.id, i === -1 ? undefined : model[i]?.[1], `step ${step}`);
        if (i !== -1) use(i);
      } else if (op === 1) {
        const i = model.findIndex(([, d]) => d === id);
        assert.equal(cache.byId(id)?.id, i === -1 ? undefined : id, `step ${step}`);
        if (i !== -1) use(i);
      } else if (op === 2) {
        cache.set(hash, device(id));
        model = model.filter(([h, d]) => h !== hash && d !== id);
        if (model.length >= max) model.shift();
        model.push([hash, id]);
      } else if (op === 3) {
        cache.refresh(device(id));
      } else {
        cache.invalidate(id);
        model = model.filter(([, d]) => d !== id);
      }
      assert.equal(cache.size, model.length, `step ${step}`);
    }
  });
});
