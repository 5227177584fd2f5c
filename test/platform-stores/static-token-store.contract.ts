import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { NewStaticToken } from '../../src/platform/devices/static-token-store.js';
import { ConflictError, NotFoundError } from '../../src/platform/errors.js';
import { DeviceStatus } from '../../src/platform/model.js';
import {
  type ContractTestOptions,
  type DeviceStoreFixture,
  newDevice,
  type OpenDeviceStores,
  T0,
} from './device-store-fixture.js';

let serial = 0;

function newStaticToken(f: DeviceStoreFixture, orgId = f.orgIds[1]): NewStaticToken {
  serial += 1;
  return {
    token: `sqr_test${serial}`,
    orgId,
    productId: f.templateIds[0],
    createdAt: T0,
    device: newDevice(f, { orgId, status: DeviceStatus.Unclaimed }),
  };
}

/** The StaticTokenStore contract (src/platform/devices/static-token-store.ts), run once per backend. */
export function describeStaticTokenStoreContract(
  backend: string,
  open: OpenDeviceStores,
  options: ContractTestOptions = {},
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`StaticTokenStore contract (${backend}) - ${what}`, options, fn);

  it('createMany makes each device and its UNCLAIMED token, in input order', async (t) => {
    const f = await open(t);
    const inputs = [newStaticToken(f), newStaticToken(f)];
    const created = await f.stores.staticTokens.createMany(inputs);
    assert.equal(created.length, 2);
    for (const [i, { staticToken, device }] of created.entries()) {
      const input = inputs[i];
      assert.ok(input);
      assert.deepEqual(staticToken, {
        id: staticToken.id,
        token: input.token,
        orgId: input.orgId,
        productId: input.productId,
        deviceId: device.id,
        status: 'UNCLAIMED',
        ownerId: null,
        claimedOrgId: null,
        createdAt: T0,
      });
      assert.equal(device.status, DeviceStatus.Unclaimed);
      assert.deepEqual(await f.stores.devices.byTokenHash(input.device.tokenHash), device);
      assert.deepEqual(await f.stores.staticTokens.get(staticToken.id), staticToken);
      assert.deepEqual(await f.stores.staticTokens.byToken(input.token), staticToken);
      assert.deepEqual(await f.stores.staticTokens.byDeviceId(device.id), staticToken);
    }
    assert.equal(await f.stores.staticTokens.byToken('sqr_unknown'), undefined);
  });

  it('createMany is all or nothing', async (t) => {
    const f = await open(t);
    const good = newStaticToken(f);
    const clash = { ...newStaticToken(f), token: good.token };
    await assert.rejects(f.stores.staticTokens.createMany([good, clash]), ConflictError);
    assert.equal(await f.stores.staticTokens.byToken(good.token), undefined);
    assert.equal(await f.stores.devices.byTokenHash(good.device.tokenHash), undefined);
    const deviceClash = newStaticToken(f);
    const sameDeviceToken = {
      ...newStaticToken(f),
      device: { ...newDevice(f), tokenHash: deviceClash.device.tokenHash },
    };
    await assert.rejects(f.stores.staticTokens.createMany([deviceClash, sameDeviceToken]), ConflictError);
    await assert.rejects(
      f.stores.staticTokens.createMany([{ ...newStaticToken(f), productId: 999_999 }]),
      NotFoundError,
    );
    assert.equal(
      (await f.stores.staticTokens.list({ orgIds: f.orgIds, offset: 0, limit: 10 })).totalElements,
      0,
    );
    assert.equal((await f.stores.devices.list({ orgIds: f.orgIds, offset: 0, limit: 10 })).totalElements, 0);
  });

  it('createMany of many keeps input order and pairs each token with its own device', async (t) => {
    const f = await open(t);
    assert.deepEqual(await f.stores.staticTokens.createMany([]), []);
    const inputs = Array.from({ length: 40 }, () => newStaticToken(f));
    const created = await f.stores.staticTokens.createMany(inputs);
    assert.deepEqual(
      created.map(({ staticToken }) => staticToken.token),
      inputs.map((input) => input.token),
    );
    for (const [i, { staticToken, device }] of created.entries()) {
      assert.equal(staticToken.deviceId, device.id);
      assert.equal(device.name, inputs[i]?.device.name);
      assert.deepEqual(await f.stores.devices.byTokenHash(inputs[i]?.device.tokenHash ?? ''), device);
      if (i > 0) assert.ok(staticToken.id > (created[i - 1]?.staticToken.id ?? 0), 'ids follow input order');
    }
  });

  it('list filters by org ids and pages with a total', async (t) => {
    const f = await open(t);
    const [, a, b] = f.orgIds;
    const inA = await f.stores.staticTokens.createMany([
      newStaticToken(f, a),
      newStaticToken(f, a),
      newStaticToken(f, a),
    ]);
    await f.stores.staticTokens.createMany([newStaticToken(f, b)]);
    const page = await f.stores.staticTokens.list({ orgIds: [a], offset: 1, limit: 1 });
    assert.deepEqual(page, { content: [inA[1]?.staticToken], totalElements: 3 });
    const past = await f.stores.staticTokens.list({ orgIds: [a], offset: 5, limit: 1 });
    assert.deepEqual(past, { content: [], totalElements: 3 }, 'a page past the end still reports the total');
  });

  it('claim moves the device once; a second claim changes nothing', async (t) => {
    const f = await open(t);
    const [root, a] = f.orgIds;
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f, a)]);
    assert.ok(made);
    const claimed = await f.stores.staticTokens.claim(made.staticToken.id, {
      orgId: root,
      ownerId: 9,
      name: 'Mine',
      at: T0 + 5,
    });
    assert.deepEqual(claimed, {
      staticToken: { ...made.staticToken, status: 'CLAIMED', ownerId: 9, claimedOrgId: root },
      device: {
        ...made.device,
        orgId: root,
        ownerUserId: 9,
        status: DeviceStatus.Claimed,
        name: 'Mine',
        lastModifiedTs: T0 + 5,
      },
    });
    const again = await f.stores.staticTokens.claim(made.staticToken.id, {
      orgId: a,
      ownerId: 1,
      at: T0 + 6,
    });
    assert.equal(again, undefined);
    assert.deepEqual(await f.stores.devices.get(made.device.id), claimed?.device);
    assert.equal(
      await f.stores.staticTokens.claim(made.staticToken.id + 1000, { orgId: a, ownerId: 1, at: T0 }),
      undefined,
    );
  });

  it('of two concurrent claims exactly one wins', async (t) => {
    const f = await open(t);
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f)]);
    assert.ok(made);
    const claims = await Promise.all(
      [f.orgIds[0], f.orgIds[2]].map((orgId, i) =>
        f.stores.staticTokens.claim(made.staticToken.id, { orgId, ownerId: i, at: T0 + 1 }),
      ),
    );
    const winners = claims.filter((claimed) => claimed !== undefined);
    assert.equal(winners.length, 1);
    assert.deepEqual(await f.stores.devices.get(made.device.id), winners[0]?.device);
  });

  it('claim into an org that does not exist is refused and changes nothing', async (t) => {
    const f = await open(t);
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f)]);
    assert.ok(made);
    await assert.rejects(
      f.stores.staticTokens.claim(made.staticToken.id, { orgId: 999_999, ownerId: 1, at: T0 + 1 }),
      NotFoundError,
    );
    assert.deepEqual(await f.stores.staticTokens.get(made.staticToken.id), made.staticToken);
    assert.deepEqual(await f.stores.devices.get(made.device.id), made.device);
  });

  it('claim without a name keeps the device name', async (t) => {
    const f = await open(t);
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f)]);
    assert.ok(made);
    const claimed = await f.stores.staticTokens.claim(made.staticToken.id, {
      orgId: f.orgIds[2],
      ownerId: null,
      at: T0,
    });
    assert.equal(claimed?.device.name, made.device.name);
  });

  it('unclaim returns the device to the token org, unowned and UNCLAIMED', async (t) => {
    const f = await open(t);
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f)]);
    assert.ok(made);
    assert.equal(await f.stores.staticTokens.unclaim(made.staticToken.id, T0), undefined, 'not claimed yet');
    await f.stores.staticTokens.claim(made.staticToken.id, { orgId: f.orgIds[2], ownerId: 4, at: T0 + 1 });
    const back = await f.stores.staticTokens.unclaim(made.staticToken.id, T0 + 2);
    assert.deepEqual(back?.staticToken, made.staticToken);
    assert.deepEqual(back?.device, { ...made.device, lastModifiedTs: T0 + 2 });
  });

  it('delete removes the token and its device', async (t) => {
    const f = await open(t);
    const input = newStaticToken(f);
    const [made] = await f.stores.staticTokens.createMany([input]);
    assert.ok(made);
    assert.equal(await f.stores.staticTokens.delete(made.staticToken.id), true);
    assert.equal(await f.stores.staticTokens.get(made.staticToken.id), undefined);
    assert.equal(await f.stores.devices.get(made.device.id), undefined);
    assert.equal(await f.stores.devices.byTokenHash(input.device.tokenHash), undefined);
    assert.equal(await f.stores.staticTokens.delete(made.staticToken.id), false);
  });

  it('deleting the device removes its static token', async (t) => {
    const f = await open(t);
    const [made] = await f.stores.staticTokens.createMany([newStaticToken(f)]);
    assert.ok(made);
    await f.stores.devices.delete(made.device.id);
    assert.equal(await f.stores.staticTokens.get(made.staticToken.id), undefined);
  });
}
