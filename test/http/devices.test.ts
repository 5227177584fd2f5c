import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { errorMessage, openApiWorld } from '../helpers/http-api.js';

function visible(response: LightMyRequestResponse) {
  return { status: response.statusCode, type: response.headers['content-type'], body: response.body };
}

test('spec §6.4 device create (201 with token), get, baseInfo, update, delete', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const created = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/create',
    as: admin,
    payload: {
      templateId: world.rootTemplate.templateId,
      name: 'Kitchen',
      orgId: world.orgs.a1.id,
      ownerId: 7,
    },
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.headers['cache-control'], 'no-store');
  const device = created.json();
  assert.equal(device.name, 'Kitchen');
  assert.equal(device.templateId, world.rootTemplate.id);
  assert.equal(device.orgId, world.orgs.a1.id);
  assert.equal(device.ownerUserId, 7);
  assert.match(device.token, /^[A-Za-z0-9_-]{32}$/);
  assert.equal((await world.platform.devices.authenticateToken(device.token))?.id, device.id);

  const base = await world.call({
    url: `/api/v1/organization/device/baseInfo?deviceId=${device.id}`,
    as: admin,
  });
  assert.equal(base.statusCode, 200);
  const { token: _token, ...withoutToken } = device;
  assert.deepEqual(base.json(), withoutToken);

  const full = await world.call({ url: `/api/v1/organization/device?deviceId=${device.id}`, as: admin });
  assert.equal(full.statusCode, 200);
  assert.equal(full.json().isHardwareConnected, false);
  assert.equal(full.json().token, undefined);
  assert.ok(Array.isArray(full.json().dataStreamValues));
  assert.ok(
    full
      .json()
      .metaFieldValues.some(
        (m: { name: string; value: string }) => m.name === 'Device Name' && m.value === 'Kitchen',
      ),
  );

  const renamed = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/device?deviceId=${device.id}`,
    as: admin,
    payload: { name: 'Pantry', ownerId: null },
  });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.equal(renamed.json().name, 'Pantry');
  assert.equal(renamed.json().ownerUserId, null);
  assert.equal(
    (
      await world.call({ url: `/api/v1/organization/device/baseInfo?deviceId=${device.id}`, as: admin })
    ).json().name,
    'Pantry',
  );

  const deleted = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/device?deviceId=${device.id}`,
    as: admin,
  });
  assert.equal(deleted.statusCode, 204);
  const gone = await world.call({ url: `/api/v1/organization/device?deviceId=${device.id}`, as: admin });
  assert.equal(gone.statusCode, 404);
  assert.equal(
    errorMessage(gone),
    `Device with identifier ${device.id} is not found or belong to another organization.`,
  );
  assert.equal(await world.platform.devices.authenticateToken(device.token), undefined);
});

test('spec §6.4 device list (with sub-orgs, paging) and search', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const { a, a1 } = world.orgs;
  await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/create',
    as: admin,
    payload: { templateId: world.rootTemplate.id, name: 'Deep One', orgId: a1.id },
  });
  const own = await world.call({ url: `/api/v1/organization/devices?orgId=${a.id}`, as: admin });
  assert.equal(own.statusCode, 200);
  assert.deepEqual(
    own.json().content.map((d: { name: string }) => d.name),
    ['A Device'],
  );
  const deep = await world.call({
    url: `/api/v1/organization/devices?orgId=${a.id}&includeSubOrgDevices=true`,
    as: admin,
  });
  assert.deepEqual(
    deep
      .json()
      .content.map((d: { name: string }) => d.name)
      .sort(),
    ['A Device', 'Deep One'],
  );
  const paged = await world.call({
    url: `/api/v1/organization/devices?orgId=${a.id}&includeSubOrgDevices=true&page=1&size=1`,
    as: admin,
  });
  assert.equal(paged.json().totalElements, 2);
  assert.equal(paged.json().content.length, 1);
  const search = await world.call({
    url: '/api/v1/organization/search/devices?query=device&sortBy=name&sortOrder=ASC',
    as: admin,
  });
  assert.equal(search.statusCode, 200);
  assert.deepEqual(
    search
      .json()
      .content.map((d: { name: string }) => d.name)
      .sort(),
    ['A Device', 'B Device'],
  );
});

test('spec §6.4 device transfer to another org and owner', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const moved = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/transfer',
    as: admin,
    payload: { deviceId: world.aDevice.id, newOrgId: world.orgs.b.id, newUserId: 42 },
  });
  assert.equal(moved.statusCode, 200, moved.body);
  assert.equal(moved.json().orgId, world.orgs.b.id);
  assert.equal(moved.json().ownerUserId, 42);
  const none = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/transfer',
    as: admin,
    payload: { deviceId: world.aDevice.id },
  });
  assert.equal(none.statusCode, 400);
  assert.equal(errorMessage(none), "Either 'newOrgId' or 'newUserId' is required.");
  // The b-only template is not visible from a: the move is refused and nothing changes.
  const refused = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/transfer',
    as: admin,
    payload: { deviceId: world.bDevice.id, newOrgId: world.orgs.a.id },
  });
  assert.equal(refused.statusCode, 400, refused.body);
  assert.equal(
    (
      await world.call({
        url: `/api/v1/organization/device/baseInfo?deviceId=${world.bDevice.id}`,
        as: admin,
      })
    ).json().orgId,
    world.orgs.b.id,
  );
});

test('devgate addition: reveal and rotate a device token', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const id = world.aDevice.id;
  const revealed = await world.call({ url: `/api/v1/organization/device/token?deviceId=${id}`, as: admin });
  assert.equal(revealed.statusCode, 200);
  assert.equal(revealed.headers['cache-control'], 'no-store');
  const oldToken = revealed.json().token;
  assert.equal((await world.platform.devices.authenticateToken(oldToken))?.id, id);
  const rotated = await world.call({
    method: 'POST',
    url: `/api/v1/organization/device/token/rotate?deviceId=${id}`,
    as: admin,
  });
  assert.equal(rotated.statusCode, 200);
  const newToken = rotated.json().token;
  assert.notEqual(newToken, oldToken);
  assert.equal(await world.platform.devices.authenticateToken(oldToken), undefined);
  assert.equal(
    (await world.call({ url: `/api/v1/organization/device/token?deviceId=${id}`, as: admin })).json().token,
    newToken,
  );
});

test('spec §5.4 bad device input is 4xx with a clear message and creates nothing', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const before = (
    await world.call({ url: '/api/v1/organization/devices?orgId=1&includeSubOrgDevices=true', as: admin })
  ).body;
  const cases: Array<[unknown, number, RegExp]> = [
    [{ templateId: 'TMPLnope12345', name: 'X' }, 404, /Template with identifier TMPLnope12345 is not found/],
    [{ templateId: 9999, name: 'X' }, 404, /Template with identifier 9999/],
    [
      { templateId: world.rootTemplate.id, name: 'x'.repeat(51) },
      400,
      /'name' must NOT have more than 50 characters/,
    ],
    [{ templateId: world.rootTemplate.id, name: 'bad/name' }, 400, /Device name must be/],
    [{ templateId: world.rootTemplate.id }, 400, /Missing required body field 'name'/],
    [{ templateId: world.rootTemplate.id, name: 'X', token: 'mine' }, 400, /Unknown body field 'token'/],
    [{ templateId: world.rootTemplate.id, name: 'X', orgId: 9999 }, 404, /Organization/],
  ];
  for (const [payload, status, message] of cases) {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/organization/device/create',
      as: admin,
      payload: payload as object,
    });
    assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`);
    assert.match(errorMessage(response), message);
  }
  const rename = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/device?deviceId=${world.aDevice.id}`,
    as: admin,
    payload: { name: '' },
  });
  assert.equal(rename.statusCode, 400);
  assert.equal(
    (await world.call({ url: '/api/v1/organization/devices?orgId=1&includeSubOrgDevices=true', as: admin }))
      .body,
    before,
  );
});

test("spec §2.2 scope: a sub-org client cannot see or change its sibling's devices", async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const foreign = world.bDevice.id;
  const attempts = [
    { method: 'GET' as const, url: `/api/v1/organization/device?deviceId=${foreign}` },
    { method: 'GET' as const, url: `/api/v1/organization/device/baseInfo?deviceId=${foreign}` },
    {
      method: 'PUT' as const,
      url: `/api/v1/organization/device?deviceId=${foreign}`,
      payload: { name: 'Stolen' },
    },
    { method: 'DELETE' as const, url: `/api/v1/organization/device?deviceId=${foreign}` },
    { method: 'GET' as const, url: `/api/v1/organization/device/token?deviceId=${foreign}` },
    { method: 'POST' as const, url: `/api/v1/organization/device/token/rotate?deviceId=${foreign}` },
    {
      method: 'POST' as const,
      url: '/api/v1/organization/device/transfer',
      payload: { deviceId: foreign, newOrgId: world.orgs.a.id },
    },
  ];
  for (const attempt of attempts) {
    const response = await world.call({ ...attempt, as: client });
    assert.equal(response.statusCode, 404, `${attempt.method} ${attempt.url}: ${response.body}`);
    assert.equal(
      errorMessage(response),
      `Device with identifier ${foreign} is not found or belong to another organization.`,
    );
  }
  const list = await world.call({ url: `/api/v1/organization/devices?orgId=${world.orgs.b.id}`, as: client });
  assert.equal(list.statusCode, 404);
  const mine = await world.call({
    url: '/api/v1/organization/devices?includeSubOrgDevices=true',
    as: client,
  });
  assert.deepEqual(
    mine.json().content.map((d: { id: number }) => d.id),
    [world.aDevice.id],
  );
  const search = await world.call({ url: '/api/v1/organization/search/devices?query=device', as: client });
  assert.deepEqual(
    search.json().content.map((d: { id: number }) => d.id),
    [world.aDevice.id],
  );
  const create = await world.call({
    method: 'POST',
    url: '/api/v1/organization/device/create',
    as: client,
    payload: { templateId: world.rootTemplate.id, name: 'Planted', orgId: world.orgs.b.id },
  });
  assert.equal(create.statusCode, 404);
  const admin = await world.client(world.orgs.root);
  const b = await world.call({ url: `/api/v1/organization/device/baseInfo?deviceId=${foreign}`, as: admin });
  assert.equal(b.json().name, 'B Device');
  assert.equal(b.json().orgId, world.orgs.b.id);
  assert.equal(
    (
      await world.call({ url: '/api/v1/organization/devices?orgId=1&includeSubOrgDevices=true', as: admin })
    ).json().totalElements,
    2,
  );
});

test('spec §6.4 another org’s device answers byte for byte like a missing one', async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const admin = await world.client(world.orgs.root);
  const id = world.bDevice.id;
  const urls = [
    `/api/v1/organization/device?deviceId=${id}`,
    `/api/v1/organization/device/baseInfo?deviceId=${id}`,
    `/api/v1/organization/device/online?deviceId=${id}`,
    `/api/v1/organization/device/metafield?deviceId=${id}`,
    `/api/v1/organization/device/datastreams?deviceId=${id}`,
    `/api/v2/organization/device/datastreams?deviceId=${id}`,
    `/api/v1/organization/device/datastream/history?deviceId=${id}&pin=v1`,
    `/api/v1/organization/device/token?deviceId=${id}`,
  ];
  const foreign = await Promise.all(urls.map(async (url) => visible(await world.call({ url, as: client }))));
  assert.equal(
    (await world.call({ method: 'DELETE', url: `/api/v1/organization/device?deviceId=${id}`, as: admin }))
      .statusCode,
    204,
  );
  const missing = await Promise.all(urls.map(async (url) => visible(await world.call({ url, as: client }))));
  for (const [i, url] of urls.entries()) {
    assert.equal(foreign[i]?.status, 404, url);
    assert.deepEqual(foreign[i], missing[i], url);
  }
});
