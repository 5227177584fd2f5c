import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import type { ConnectionRecord } from '../../src/platform/devices/device-store.js';
import { ConflictError, NotFoundError } from '../../src/platform/errors.js';
import { DeviceStatus } from '../../src/platform/model.js';
import { type ContractTestOptions, newDevice, type OpenDeviceStores, T0 } from './device-store-fixture.js';

/** The DeviceStore contract (src/platform/devices/device-store.ts), run once per backend. */
export function describeDeviceStoreContract(
  backend: string,
  open: OpenDeviceStores,
  options: ContractTestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`DeviceStore contract (${backend}) - ${what}`, options, fn);

  it('insert assigns an id and returns the row; absent optionals stay absent', async (t) => {
    const f = await open(t);
    const input = newDevice(f, { name: 'Kitchen', ownerUserId: 7 });
    const device = await f.stores.devices.insert(input);
    assert.deepEqual(device, {
      id: device.id,
      name: 'Kitchen',
      templateId: f.templateIds[0],
      orgId: f.orgIds[0],
      ownerUserId: 7,
      status: DeviceStatus.Created,
      createdAt: T0,
      lastModifiedTs: T0,
    });
    assert.deepEqual(await f.stores.devices.get(device.id), device);
    assert.equal(await f.stores.devices.get(device.id + 1000), undefined);
  });

  it('keeps activatedAt given at insert', async (t) => {
    const f = await open(t);
    const device = await f.stores.devices.insert(
      newDevice(f, { status: DeviceStatus.Activated, activatedAt: T0 + 5 }),
    );
    assert.equal(device.activatedAt, T0 + 5);
  });

  it('ids increase and are never reused after a delete', async (t) => {
    const f = await open(t);
    const first = await f.stores.devices.insert(newDevice(f));
    const second = await f.stores.devices.insert(newDevice(f));
    assert.ok(second.id > first.id);
    await f.stores.devices.delete(second.id);
    const third = await f.stores.devices.insert(newDevice(f));
    assert.ok(third.id > second.id);
  });

  it('refuses a device whose org or template does not exist', async (t) => {
    const f = await open(t);
    await assert.rejects(f.stores.devices.insert(newDevice(f, { orgId: 999_999 })), NotFoundError);
    await assert.rejects(f.stores.devices.insert(newDevice(f, { templateId: 999_999 })), NotFoundError);
    assert.equal((await f.stores.devices.list({ orgIds: f.orgIds, offset: 0, limit: 10 })).totalElements, 0);
  });

  it('update into an org that does not exist is refused and changes nothing', async (t) => {
    const f = await open(t);
    const device = await f.stores.devices.insert(newDevice(f));
    await assert.rejects(
      f.stores.devices.update(device.id, { name: 'Moved', orgId: 999_999 }, T0 + 1),
      NotFoundError,
    );
    assert.deepEqual(await f.stores.devices.get(device.id), device);
  });

  it('token hashes are unique', async (t) => {
    const f = await open(t);
    const input = newDevice(f);
    await f.stores.devices.insert(input);
    await assert.rejects(
      f.stores.devices.insert({ ...newDevice(f), tokenHash: input.tokenHash }),
      ConflictError,
    );
    const other = await f.stores.devices.insert(newDevice(f));
    await assert.rejects(
      f.stores.devices.setToken(other.id, input.tokenHash, randomBytes(60), T0 + 1),
      ConflictError,
    );
    assert.deepEqual(await f.stores.devices.get(other.id), other, 'a refused setToken changes nothing');
  });

  it('byTokenHash finds the device; tokenSecret returns the stored forms', async (t) => {
    const f = await open(t);
    const input = newDevice(f);
    const device = await f.stores.devices.insert(input);
    assert.deepEqual(await f.stores.devices.byTokenHash(input.tokenHash), device);
    assert.equal(await f.stores.devices.byTokenHash('0'.repeat(64)), undefined);
    assert.deepEqual(await f.stores.devices.tokenSecret(device.id), {
      tokenHash: input.tokenHash,
      tokenCipher: input.tokenCipher,
    });
    assert.equal(await f.stores.devices.tokenSecret(device.id + 1000), undefined);
  });

  it('setToken replaces the token: the old hash stops finding the device', async (t) => {
    const f = await open(t);
    const input = newDevice(f);
    const device = await f.stores.devices.insert(input);
    const hash = randomBytes(32).toString('hex');
    const cipher = randomBytes(60);
    assert.equal(await f.stores.devices.setToken(device.id, hash, cipher, T0 + 10), true);
    assert.equal(await f.stores.devices.byTokenHash(input.tokenHash), undefined);
    assert.equal((await f.stores.devices.byTokenHash(hash))?.lastModifiedTs, T0 + 10);
    assert.deepEqual(await f.stores.devices.tokenSecret(device.id), { tokenHash: hash, tokenCipher: cipher });
    assert.equal(await f.stores.devices.setToken(device.id + 1000, hash, cipher, T0), false);
  });

  it('list filters by org ids, orders by id and pages with a total', async (t) => {
    const f = await open(t);
    const [root, a, b] = f.orgIds;
    const inA = [];
    for (let i = 0; i < 5; i++) inA.push(await f.stores.devices.insert(newDevice(f, { orgId: a })));
    const inB = await f.stores.devices.insert(newDevice(f, { orgId: b }));
    await f.stores.devices.insert(newDevice(f, { orgId: root }));
    const page = await f.stores.devices.list({ orgIds: [a], offset: 2, limit: 2 });
    assert.deepEqual(page, { content: inA.slice(2, 4), totalElements: 5 });
    const both = await f.stores.devices.list({ orgIds: [b, a], offset: 0, limit: 100 });
    assert.deepEqual(both.content, [...inA, inB]);
    assert.deepEqual(await f.stores.devices.list({ orgIds: [], offset: 0, limit: 10 }), {
      content: [],
      totalElements: 0,
    });
    assert.deepEqual(
      await f.stores.devices.list({ orgIds: [a], offset: 10, limit: 10 }),
      { content: [], totalElements: 5 },
      'a page past the end still reports the total',
    );
  });

  it('list with nameContains matches a case-insensitive substring inside the orgs', async (t) => {
    const f = await open(t);
    const [, a, b] = f.orgIds;
    const hit = await f.stores.devices.insert(newDevice(f, { orgId: a, name: 'Boiler Room' }));
    await f.stores.devices.insert(newDevice(f, { orgId: a, name: 'Garage' }));
    await f.stores.devices.insert(newDevice(f, { orgId: b, name: 'boiler 2' }));
    const page = await f.stores.devices.list({ orgIds: [a], nameContains: 'BOIL', offset: 0, limit: 10 });
    assert.deepEqual(page, { content: [hit], totalElements: 1 });
    const cyrillic = await f.stores.devices.insert(newDevice(f, { orgId: b, name: 'Теплиця Північ' }));
    const unicode = await f.stores.devices.list({
      orgIds: [b],
      nameContains: 'теплиця',
      offset: 0,
      limit: 10,
    });
    assert.deepEqual(unicode.content, [cyrillic], 'case folding beyond ASCII');
    // `%` and `_` are plain characters, not patterns.
    assert.equal(
      (await f.stores.devices.list({ orgIds: [a, b], nameContains: '%', offset: 0, limit: 10 }))
        .totalElements,
      0,
    );
  });

  it('update changes only the given fields and stamps lastModifiedTs', async (t) => {
    const f = await open(t);
    const device = await f.stores.devices.insert(newDevice(f, { ownerUserId: 3 }));
    const hardwareInfo = { version: '1.0', boardType: 'ESP32', rxbuff: 1024 };
    const updated = await f.stores.devices.update(
      device.id,
      { orgId: f.orgIds[1], status: DeviceStatus.Activated, hardwareInfo, activatedAt: T0 + 1 },
      T0 + 2,
    );
    assert.deepEqual(updated, {
      ...device,
      orgId: f.orgIds[1],
      status: DeviceStatus.Activated,
      hardwareInfo,
      activatedAt: T0 + 1,
      lastModifiedTs: T0 + 2,
    });
    const renamed = await f.stores.devices.update(device.id, { name: 'New', ownerUserId: null }, T0 + 3);
    assert.equal(renamed?.name, 'New');
    assert.equal(renamed?.ownerUserId, null);
    assert.deepEqual(renamed?.hardwareInfo, hardwareInfo);
    assert.equal(await f.stores.devices.update(device.id + 1000, { name: 'x' }, T0), undefined);
  });

  it('warmest: the most recently connected first, never connected last (newest first), with token hashes, at most limit', async (t) => {
    const f = await open(t);
    const [a, b, c, d] = [newDevice(f), newDevice(f), newDevice(f), newDevice(f)];
    const ids = [];
    for (const input of [a, b, c, d]) ids.push((await f.stores.devices.insert(input)).id);
    await f.stores.devices.recordConnections([{ deviceId: ids[1]!, connectedAt: T0 + 5 }]);
    await f.stores.devices.recordConnections([{ deviceId: ids[0]!, connectedAt: T0 + 9 }]);
    const warm = await f.stores.devices.warmest(10);
    assert.deepEqual(
      warm.map((w) => w.device.id),
      [ids[0], ids[1], ids[3], ids[2]],
    );
    assert.deepEqual(
      warm.map((w) => w.tokenHash),
      [a.tokenHash, b.tokenHash, d.tokenHash, c.tokenHash],
    );
    assert.deepEqual(warm[0]?.device, await f.stores.devices.get(ids[0]!));
    assert.deepEqual(
      (await f.stores.devices.warmest(1)).map((w) => w.device.id),
      [ids[0]],
    );
  });

  it('recordConnections keeps the first connect time and the last ip', async (t) => {
    const f = await open(t);
    const { id } = await f.stores.devices.insert(newDevice(f));
    const record = (r: Omit<ConnectionRecord, 'deviceId'>) =>
      f.stores.devices.recordConnections([{ deviceId: id, ...r }]);
    await record({ connectedAt: T0 + 1, ip: '10.0.0.1' });
    await record({ disconnectedAt: T0 + 2 });
    const [device] = await record({ connectedAt: T0 + 3 });
    assert.equal(device?.firstConnectTime, T0 + 1);
    assert.equal(device?.connectTime, T0 + 3);
    assert.equal(device?.disconnectTime, T0 + 2);
    assert.equal(device?.ip, '10.0.0.1');
    assert.equal(device?.lastModifiedTs, T0 + 3);
    assert.deepEqual(device, await f.stores.devices.get(id));
    assert.deepEqual(
      await f.stores.devices.recordConnections([{ deviceId: id + 1000, connectedAt: T0 }]),
      [],
    );
    assert.deepEqual(await f.stores.devices.recordConnections([]), []);
  });

  it('recordConnections writes many devices at once and skips unknown ones', async (t) => {
    const f = await open(t);
    const a = (await f.stores.devices.insert(newDevice(f))).id;
    const b = (await f.stores.devices.insert(newDevice(f))).id;
    const c = (await f.stores.devices.insert(newDevice(f))).id;
    await f.stores.devices.recordConnections([{ deviceId: c, connectedAt: T0, ip: '10.0.0.9' }]);
    const written = await f.stores.devices.recordConnections([
      { deviceId: a, connectedAt: T0 + 1, ip: '10.0.0.1' },
      { deviceId: b + 1000, connectedAt: T0 + 1 },
      // connected and gone again in the same batch: both times, the later one is lastModifiedTs
      { deviceId: b, connectedAt: T0 + 2, disconnectedAt: T0 + 4 },
      // a disconnect alone keeps the connect time and the address
      { deviceId: c, disconnectedAt: T0 + 3 },
    ]);
    const byId = new Map(written.map((d) => [d.id, d]));
    assert.deepEqual(
      [...byId.keys()].sort((x, y) => x - y),
      [a, b, c],
    );
    assert.equal(byId.get(a)?.ip, '10.0.0.1');
    assert.equal(byId.get(a)?.connectTime, T0 + 1);
    assert.equal(byId.get(b)?.connectTime, T0 + 2);
    assert.equal(byId.get(b)?.disconnectTime, T0 + 4);
    assert.equal(byId.get(b)?.lastModifiedTs, T0 + 4);
    assert.equal(byId.get(c)?.connectTime, T0);
    assert.equal(byId.get(c)?.disconnectTime, T0 + 3);
    assert.equal(byId.get(c)?.ip, '10.0.0.9');
    assert.equal(byId.get(c)?.lastModifiedTs, T0 + 3);
    for (const device of written) assert.deepEqual(device, await f.stores.devices.get(device.id));
  });

  it('countByTemplate counts the devices using a template', async (t) => {
    const f = await open(t);
    await f.stores.devices.insert(newDevice(f));
    await f.stores.devices.insert(newDevice(f));
    await f.stores.devices.insert(newDevice(f, { templateId: f.templateIds[1] }));
    assert.equal(await f.stores.devices.countByTemplate(f.templateIds[0]), 2);
    assert.equal(await f.stores.devices.countByTemplate(f.templateIds[1]), 1);
  });

  it('delete removes the device and its token; a second delete is false', async (t) => {
    const f = await open(t);
    const input = newDevice(f);
    const { id } = await f.stores.devices.insert(input);
    assert.equal(await f.stores.devices.delete(id), true);
    assert.equal(await f.stores.devices.get(id), undefined);
    assert.equal(await f.stores.devices.byTokenHash(input.tokenHash), undefined);
    assert.equal(await f.stores.devices.delete(id), false);
  });
}
