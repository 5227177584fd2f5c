import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Firmware, Shipment } from '../../src/ota/model.js';
import { BLOB_CHUNK_BYTES, createPostgresFirmwareBlobs } from '../../src/ota/postgres-firmware-blobs.js';
import type { ApiClient } from '../helpers/http-api.js';
import { errorMessage } from '../helpers/http-api.js';
import { firmwareImage, type OtaWorld, openOtaWorld, tagFor } from '../helpers/ota-world.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { openTestPlatformPool } from '../platform-stores/pg-platform-db.js';

const FIRMWARE = '/api/v1/organization/ota/firmware';
const SHIPMENT = '/api/v1/organization/ota/shipment';
const RAW = { 'content-type': 'application/octet-stream' };

async function upload(
  world: OtaWorld,
  as: ApiClient,
  image: Buffer,
  name = 'thermo',
): Promise<LightMyRequestResponse> {
  return world.call({ method: 'POST', url: `${FIRMWARE}?name=${name}`, as, headers: RAW, payload: image });
}

async function setup(
  t: TestContext,
  options: { maxFirmwareBytes?: number } = {},
  seams: Parameters<typeof openOtaWorld>[2] = {},
  size = 4096,
) {
  const world = await openOtaWorld(t, options, seams);
  const admin = await world.client(world.orgs.root);
  const image = firmwareImage(tagFor(world.template, '2.0.0'), size);
  const uploaded = await upload(world, admin, image);
  assert.equal(uploaded.statusCode, 201, uploaded.body);
  return { world, admin, image, firmware: uploaded.json() as Firmware };
}

/** Ships to a1 (online) and returns the shipment and the offered URL path. */
async function shipToOnline(world: OtaWorld, admin: ApiClient, firmware: Firmware) {
  world.link.online.add(world.devices.a1.id);
  const created = await world.call({
    method: 'POST',
    url: SHIPMENT,
    as: admin,
    payload: { firmwareId: firmware.id, deviceIds: [world.devices.a1.id] },
  });
  assert.equal(created.statusCode, 201, created.body);
  const offer = JSON.parse(world.link.sent.at(-1)?.payload ?? '{}') as { url: string };
  const url = new URL(offer.url);
  return { shipment: created.json() as Shipment, path: `${url.pathname}${url.search}`, url };
}

describe('spec §3.4 Blynk.Air Platform API', () => {
  test('firmware upload: 201 with tag fields; bearer, name, media type, size limit and org scope checked', async (t) => {
    const { world, admin, image, firmware } = await setup(t, { maxFirmwareBytes: 8192 });
    assert.equal(firmware.size, image.length);
    assert.equal(firmware.version, '2.0.0');
    assert.equal(firmware.fwType, world.template.templateId);
    assert.equal(firmware.sha256, createHash('sha256').update(image).digest('hex'));
    const anonymous = await world.call({
      method: 'POST',
      url: `${FIRMWARE}?name=x`,
      headers: RAW,
      payload: image,
    });
    assert.equal(anonymous.statusCode, 401);
    const unnamed = await world.call({
      method: 'POST',
      url: FIRMWARE,
      as: admin,
      headers: RAW,
      payload: image,
    });
    assert.equal(unnamed.statusCode, 400);
    assert.equal(errorMessage(unnamed), "Missing required query parameter 'name'.");
    const json = await world.call({
      method: 'POST',
      url: `${FIRMWARE}?name=x`,
      as: admin,
      payload: { a: 1 },
    });
    assert.equal(json.statusCode, 415, json.body);
    const empty = await world.call({ method: 'POST', url: `${FIRMWARE}?name=x`, as: admin, headers: RAW });
    assert.equal(empty.statusCode, 400);
    assert.equal(errorMessage(empty), 'Firmware file is empty.');
    const big = await upload(world, admin, firmwareImage(undefined, 8193));
    assert.equal(big.statusCode, 413);
    assert.equal(errorMessage(big), 'Request body is larger than 8192 bytes.');
    const asB = await world.client(world.orgs.b);
    const elsewhere = await world.call({
      method: 'POST',
      url: `${FIRMWARE}?name=x&orgId=${world.orgs.a.id}`,
      as: asB,
      headers: RAW,
      payload: image,
    });
    assert.equal(elsewhere.statusCode, 404);
    // Above the JSON body limit (2 MiB) is fine for this route alone.
    const { world: roomy, admin: roomyAdmin } = await setup(t);
    const large = await upload(roomy, roomyAdmin, firmwareImage(undefined, 3 * 1024 * 1024));
    assert.equal(large.statusCode, 201);
  });

  test('firmware get, list and delete are scoped to the caller subtree', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const asA = await world.client(world.orgs.a);
    const own = await upload(world, asA, firmwareImage(), 'a-fw');
    assert.equal(own.statusCode, 201);
    const got = await world.call({ url: `${FIRMWARE}?id=${firmware.id}`, as: admin });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), firmware);
    const hidden = await world.call({ url: `${FIRMWARE}?id=${firmware.id}`, as: asA });
    assert.equal(hidden.statusCode, 404);
    assert.match(errorMessage(hidden), /^Firmware with identifier \d+ is not found/);
    const adminList = await world.call({ url: `${FIRMWARE}s?page=0&size=10`, as: admin });
    assert.equal(adminList.json().totalElements, 2);
    const aList = await world.call({ url: `${FIRMWARE}s`, as: asA });
    assert.deepEqual(
      aList.json().content.map((f: Firmware) => f.name),
      ['a-fw'],
    );
    const denied = await world.call({ method: 'DELETE', url: `${FIRMWARE}?id=${firmware.id}`, as: asA });
    assert.equal(denied.statusCode, 404);
    const removed = await world.call({ method: 'DELETE', url: `${FIRMWARE}?id=${firmware.id}`, as: admin });
    assert.equal(removed.statusCode, 204);
    assert.equal((await world.call({ url: `${FIRMWARE}?id=${firmware.id}`, as: admin })).statusCode, 404);
  });

  test('shipments: create (201), read with per-device status, list, cancel (then 409), scope', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { a1, a2, other, b } = world.devices;
    world.link.online.add(a1.id);
    const created = await world.call({
      method: 'POST',
      url: SHIPMENT,
      as: admin,
      payload: { firmwareId: firmware.id, deviceIds: [a1.id, a2.id, other.id], name: 'spring rollout' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const shipment = created.json() as Shipment;
    assert.equal(shipment.name, 'spring rollout');
    assert.equal(shipment.status, 'RUNNING');
    assert.deepEqual(
      shipment.devices.map((d) => [d.deviceId, d.status]),
      [
        [a1.id, 'request sent'],
        [a2.id, 'process started'],
        [other.id, 'firmware type mismatch'],
      ],
    );
    const read = await world.call({ url: `${SHIPMENT}?id=${shipment.id}`, as: admin });
    assert.deepEqual(read.json(), shipment);
    const list = await world.call({ url: `${SHIPMENT}s`, as: admin });
    assert.equal(list.json().totalElements, 1);

    const asA = await world.client(world.orgs.a);
    assert.equal((await world.call({ url: `${SHIPMENT}?id=${shipment.id}`, as: asA })).statusCode, 404);
    const outOfScope = await world.call({
      method: 'POST',
      url: SHIPMENT,
      as: asA,
      payload: { firmwareId: firmware.id, deviceIds: [a1.id] },
    });
    assert.equal(outOfScope.statusCode, 404, 'the firmware is not visible from org a');
    const asB = await world.client(world.orgs.b);
    const bFirmware = (
      await upload(world, asB, firmwareImage(tagFor(world.template, '3.0')))
    ).json() as Firmware;
    const foreignDevice = await world.call({
      method: 'POST',
      url: SHIPMENT,
      as: asB,
      payload: { firmwareId: bFirmware.id, deviceIds: [b.id, a1.id] },
    });
    assert.equal(foreignDevice.statusCode, 404);
    assert.match(errorMessage(foreignDevice), new RegExp(`${a1.id}`));
    for (const payload of [
      { firmwareId: firmware.id, deviceIds: [] },
      { firmwareId: firmware.id, deviceIds: [a1.id, a1.id] },
      { firmwareId: firmware.id },
      { firmwareId: firmware.id, deviceIds: [a1.id], extra: true },
    ]) {
      const bad = await world.call({ method: 'POST', url: SHIPMENT, as: admin, payload });
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
    }

    const cancelled = await world.call({
      method: 'POST',
      url: `${SHIPMENT}/cancel?id=${shipment.id}`,
      as: admin,
    });
    assert.equal(cancelled.statusCode, 200);
    assert.equal(cancelled.json().status, 'CANCELLED');
    assert.deepEqual(
      cancelled.json().devices.map((d: { status: string }) => d.status),
      ['cancelled', 'cancelled', 'firmware type mismatch'],
    );
    const again = await world.call({
      method: 'POST',
      url: `${SHIPMENT}/cancel?id=${shipment.id}`,
      as: admin,
    });
    assert.equal(again.statusCode, 409);
    assert.equal(errorMessage(again), 'Shipment is not running.');
  });

  test('firmware delete is refused (409) while a running shipment uses it', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { shipment } = await shipToOnline(world, admin, firmware);
    const refused = await world.call({ method: 'DELETE', url: `${FIRMWARE}?id=${firmware.id}`, as: admin });
    assert.equal(refused.statusCode, 409);
    await world.call({ method: 'POST', url: `${SHIPMENT}/cancel?id=${shipment.id}`, as: admin });
    const removed = await world.call({ method: 'DELETE', url: `${FIRMWARE}?id=${firmware.id}`, as: admin });
    assert.equal(removed.statusCode, 204);
  });
});

describe('spec §6.2 note GET /static/{file}?token= (firmware download)', () => {
  test('200 with the spec §3.4 headers and the exact bytes; HEAD does not count; no bearer needed', async (t) => {
    const { world, admin, image, firmware } = await setup(t);
    const { path, shipment } = await shipToOnline(world, admin, firmware);
    const head = await world.call({ method: 'HEAD', url: path });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String(image.length));
    const response = await world.call({ url: path });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
    assert.equal(response.headers['content-length'], String(image.length));
    assert.equal(response.headers['x-sha256'], createHash('sha256').update(image).digest('base64'));
    assert.equal(response.headers['x-md5'], createHash('md5').update(image).digest('hex'));
    assert.equal(response.headers['x-fw-type'], world.template.templateId);
    assert.equal(response.headers['x-fw-ver'], '2.0.0');
    assert.equal(response.headers['x-fw-build'], 'Mar 05 2024 18:29:27');
    assert.deepEqual(response.rawPayload, image);
    const read = await world.call({ url: `${SHIPMENT}?id=${shipment.id}`, as: admin });
    assert.deepEqual(read.json().devices[0], {
      deviceId: world.devices.a1.id,
      status: 'firmware downloaded',
      updatedAt: world.clock.now(),
      downloads: 1,
    });
  });

  test(
    'bytes in PostgreSQL: an image of 4½ pieces is sent whole with its length; bytes gone are 404',
    postgresTestOptions(),
    async (t) => {
      const { pool } = await openTestPlatformPool(t);
      const blobs = createPostgresFirmwareBlobs(pool);
      const { world, admin, image, firmware } = await setup(
        t,
        {},
        { firmware: blobs },
        4.5 * BLOB_CHUNK_BYTES,
      );
      const { path } = await shipToOnline(world, admin, firmware);
      const response = await world.call({ url: path });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-length'], String(image.length));
      assert.deepEqual(response.rawPayload, image);
      await blobs.remove(firmware.sha256);
      const gone = await world.call({ url: path });
      assert.equal(gone.statusCode, 404);
      assert.equal(errorMessage(gone), 'Firmware file not found.');
    },
  );

  test('403 Invalid token. for a missing, tampered, expired or misplaced token', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { url } = await shipToOnline(world, admin, firmware);
    const token = url.searchParams.get('token') ?? '';
    const other = `/static/${'0'.repeat(64)}.bin?token=${token}`;
    const bad = [
      url.pathname,
      `${url.pathname}?token=`,
      `${url.pathname}?token=${token.slice(0, -2)}xx`,
      `${url.pathname}?token=${token.replace(/^\d+/, String(world.devices.a2.id))}`,
      other,
      `/static/..%2Fplatform.sqlite?token=${token}`,
    ];
    for (const path of bad) {
      const response = await world.call({ url: path });
      assert.equal(response.statusCode, 403, path);
      assert.deepEqual(response.json(), { error: { message: 'Invalid token.' } });
    }
    world.clock.advance(15 * 60 * 1000);
    const expired = await world.call({ url: `${url.pathname}${url.search}` });
    assert.equal(expired.statusCode, 403);
    assert.equal(errorMessage(expired), 'Invalid token.');
  });

  test('download limit (3 per 24 h): the 4th is 403 and the device status says so', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { path, shipment } = await shipToOnline(world, admin, firmware);
    for (let i = 0; i < 3; i++) assert.equal((await world.call({ url: path })).statusCode, 200);
    const fourth = await world.call({ url: path });
    assert.equal(fourth.statusCode, 403);
    assert.equal(errorMessage(fourth), 'Download limit reached.');
    const read = await world.call({ url: `${SHIPMENT}?id=${shipment.id}`, as: admin });
    assert.equal(read.json().devices[0].status, 'download limit reached');
    assert.equal(read.json().status, 'COMPLETED');
  });

  test('the OpenAPI document lists the OTA operations (bearer) and the download (no bearer)', async (t) => {
    const { world } = await setup(t);
    const doc = (await world.call({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    for (const [path, method] of [
      [FIRMWARE, 'post'],
      [FIRMWARE, 'get'],
      [FIRMWARE, 'delete'],
      [`${FIRMWARE}s`, 'get'],
      [SHIPMENT, 'post'],
      [SHIPMENT, 'get'],
      [`${SHIPMENT}s`, 'get'],
      [`${SHIPMENT}/cancel`, 'post'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method]?.security, `${method} ${path} is documented with bearer security`);
    }
    assert.equal(doc.paths['/static/{file}']?.get?.security, undefined);
  });
});
