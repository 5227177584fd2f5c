import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DeviceOtaStatus, type Shipment } from '../../../src/ota/model.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../src/platform/errors.js';
import { firmwareImage, type OtaWorld, openOtaWorld, PUBLIC_URL, tagFor } from '../../helpers/ota-world.js';
import { callerFor } from '../../helpers/platform.js';

const DAY_MS = 24 * 3600 * 1000;

function statusOf(shipment: Shipment, deviceId: number): string | undefined {
  return shipment.devices.find((d) => d.deviceId === deviceId)?.status;
}

/** The download URL's file and token from the last `downlink/ota/json` sent to `deviceId`. */
function lastOffer(world: OtaWorld, deviceId: number) {
  const sent = world.link.sent
    .filter((s) => s.deviceId === deviceId && s.topic === 'downlink/ota/json')
    .at(-1);
  assert.ok(sent, `an offer was sent to device ${deviceId}`);
  const json = JSON.parse(sent.payload) as Record<string, unknown>;
  const url = new URL(String(json.url));
  return {
    json,
    url,
    file: url.pathname.slice('/static/'.length),
    token: url.searchParams.get('token') ?? '',
  };
}

async function setup(t: Parameters<typeof openOtaWorld>[0], options = {}) {
  const world = await openOtaWorld(t, options);
  const admin = callerFor(world.orgs.root.id);
  const image = firmwareImage(tagFor(world.template, '2.0.0'));
  const firmware = await world.ota.uploadFirmware(admin, { name: 'thermo', bytes: image });
  return { world, admin, image, firmware };
}

describe('spec §3.4 Blynk.Air service', () => {
  test('upload: tag fields, hashes, one file per content', async (t) => {
    const { world, admin, image, firmware } = await setup(t);
    assert.equal(firmware.version, '2.0.0');
    assert.equal(firmware.fwType, world.template.templateId);
    assert.equal(firmware.build, 'Mar 05 2024 18:29:27');
    assert.equal(firmware.blynkVersion, '1.3.2');
    assert.equal(firmware.size, image.length);
    assert.equal(firmware.sha256, createHash('sha256').update(image).digest('hex'));
    assert.equal(firmware.md5, createHash('md5').update(image).digest('hex'));
    const path = join(world.dir, 'firmware', `${firmware.sha256}.bin`);
    assert.deepEqual(await readFile(path), image);
    const twin = await world.ota.uploadFirmware(admin, { name: 'twin', bytes: image });
    await world.ota.deleteFirmware(admin, firmware.id);
    assert.deepEqual(await readFile(path), image, 'still used by the twin');
    await world.ota.deleteFirmware(admin, twin.id);
    assert.deepEqual(await readdir(join(world.dir, 'firmware')), []);
    await assert.rejects(() => world.ota.getFirmware(admin, twin.id), NotFoundError);
  });

  test('shipment start: online offered, offline waits, wrong type and current version settled', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { a1, a2, other, b } = world.devices;
    world.link.online.add(a1.id);
    await world.platform.devices.setHardwareInfo(b.id, { version: '2.0.0', build: 'Mar 05 2024 18:29:27' });
    const shipment = await world.ota.createShipment(admin, {
      firmwareId: firmware.id,
      deviceIds: [a1.id, a2.id, other.id, b.id],
    });
    assert.equal(statusOf(shipment, a1.id), DeviceOtaStatus.RequestSent);
    assert.equal(statusOf(shipment, a2.id), DeviceOtaStatus.ProcessStarted);
    assert.equal(statusOf(shipment, other.id), DeviceOtaStatus.FirmwareTypeMismatch);
    assert.equal(statusOf(shipment, b.id), DeviceOtaStatus.Success);
    const offer = lastOffer(world, a1.id);
    assert.deepEqual(Object.keys(offer.json), ['url', 'size', 'type', 'ver', 'build']);
    assert.equal(offer.json.size, firmware.size);
    assert.equal(offer.json.type, world.template.templateId);
    assert.equal(offer.json.ver, '2.0.0');
    assert.equal(offer.url.origin, PUBLIC_URL);
    assert.equal(offer.file, `${firmware.sha256}.bin`);
    assert.equal(world.link.sent.length, 1, 'only the online, eligible device got an offer');
  });

  test('offline device: offered after info/mcu, downloaded, success on the new version', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { a2 } = world.devices;
    const { id } = await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a2.id] });
    world.link.report(a2.id, { version: '1.0.0', fwType: world.template.templateId });
    await world.ota.idle();
    assert.equal(statusOf(await world.ota.getShipment(admin, id), a2.id), DeviceOtaStatus.RequestSent);
    const { file, token } = lastOffer(world, a2.id);
    const served = await world.ota.authorizeDownload(file, token, true);
    assert.equal(served.size, firmware.size);
    assert.equal(served.headers['x-fw-ver'], '2.0.0');
    assert.equal(statusOf(await world.ota.getShipment(admin, id), a2.id), DeviceOtaStatus.FirmwareDownloaded);
    world.link.report(a2.id, { version: '2.0.0', build: 'Mar 05 2024 18:29:27' });
    await world.ota.idle();
    const done = await world.ota.getShipment(admin, id);
    assert.equal(statusOf(done, a2.id), DeviceOtaStatus.Success);
    assert.equal(done.status, 'COMPLETED');
    await assert.rejects(
      () => world.ota.authorizeDownload(file, token, true),
      /Invalid token/,
      'finished: no more downloads',
    );
  });

  test('after a download, another version is firmware version mismatch; another type is type mismatch', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { a1, a2 } = world.devices;
    world.link.online.add(a1.id);
    const { id } = await world.ota.createShipment(admin, {
      firmwareId: firmware.id,
      deviceIds: [a1.id, a2.id],
    });
    const { file, token } = lastOffer(world, a1.id);
    await world.ota.authorizeDownload(file, token, true);
    world.link.report(a1.id, { version: '1.0.0' });
    world.link.report(a2.id, { version: '1.0.0', fwType: 'TMPLsomethingelse' });
    await world.ota.idle();
    const shipment = await world.ota.getShipment(admin, id);
    assert.equal(statusOf(shipment, a1.id), DeviceOtaStatus.FirmwareVersionMismatch);
    assert.equal(statusOf(shipment, a2.id), DeviceOtaStatus.FirmwareTypeMismatch);
  });

  test('download limit: 3 per device per 24 h, then 403 and download limit reached', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const { a1 } = world.devices;
    world.link.online.add(a1.id);
    const first = await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a1.id] });
    const { file, token } = lastOffer(world, a1.id);
    for (let i = 0; i < 3; i++) await world.ota.authorizeDownload(file, token, true);
    await world.ota.authorizeDownload(file, token, false); // HEAD does not count
    await assert.rejects(
      () => world.ota.authorizeDownload(file, token, true),
      (err: unknown) => {
        return err instanceof ForbiddenError && err.message === 'Download limit reached.';
      },
    );
    const limited = await world.ota.getShipment(admin, first.id);
    assert.equal(statusOf(limited, a1.id), DeviceOtaStatus.DownloadLimitReached);
    assert.equal(limited.devices[0]?.downloads, 3);
    // The limit is per device across shipments, and it rolls over after 24 h.
    await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a1.id] });
    const again = lastOffer(world, a1.id);
    await assert.rejects(
      () => world.ota.authorizeDownload(again.file, again.token, true),
      /Download limit reached/,
    );
    world.clock.advance(DAY_MS);
    await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a1.id] });
    const later = lastOffer(world, a1.id);
    assert.equal((await world.ota.authorizeDownload(later.file, later.token, true)).size, firmware.size);
  });

  test('tokens expire, die with a cancelled shipment, and a newer shipment supersedes', async (t) => {
    const { world, admin, firmware } = await setup(t, { downloadTokenTtlSec: 60 });
    const { a1, a2 } = world.devices;
    world.link.online.add(a1.id);
    world.link.online.add(a2.id);
    const first = await world.ota.createShipment(admin, {
      firmwareId: firmware.id,
      deviceIds: [a1.id, a2.id],
    });
    const a1Offer = lastOffer(world, a1.id);
    const a2Offer = lastOffer(world, a2.id);
    world.clock.advance(60_000);
    await assert.rejects(
      () => world.ota.authorizeDownload(a1Offer.file, a1Offer.token, true),
      /Invalid token/,
    );
    const second = await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a2.id] });
    assert.equal(statusOf(await world.ota.getShipment(admin, first.id), a2.id), DeviceOtaStatus.Cancelled);
    const fresh = lastOffer(world, a2.id);
    assert.notEqual(fresh.token, a2Offer.token);
    const cancelled = await world.ota.cancelShipment(admin, second.id);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(statusOf(cancelled, a2.id), DeviceOtaStatus.Cancelled);
    await assert.rejects(() => world.ota.authorizeDownload(fresh.file, fresh.token, true), /Invalid token/);
    await assert.rejects(() => world.ota.cancelShipment(admin, second.id), ConflictError);
    await assert.rejects(world.ota.deleteFirmware(admin, firmware.id), ConflictError, 'first still runs');
  });

  test('a package without a tag: url and size only; any report after a download is success', async (t) => {
    const world = await openOtaWorld(t);
    const admin = callerFor(world.orgs.root.id);
    const firmware = await world.ota.uploadFirmware(admin, {
      name: 'raw',
      bytes: firmwareImage(undefined, 512),
    });
    assert.equal(firmware.version, undefined);
    const { a1 } = world.devices;
    world.link.online.add(a1.id);
    const { id } = await world.ota.createShipment(admin, { firmwareId: firmware.id, deviceIds: [a1.id] });
    const offer = lastOffer(world, a1.id);
    assert.deepEqual(Object.keys(offer.json), ['url', 'size']);
    const served = await world.ota.authorizeDownload(offer.file, offer.token, true);
    assert.equal(served.headers['x-fw-ver'], undefined);
    world.link.report(a1.id, { version: 'whatever' });
    await world.ota.idle();
    assert.equal(statusOf(await world.ota.getShipment(admin, id), a1.id), DeviceOtaStatus.Success);
  });

  test('scope: firmware, devices and shipments outside the caller subtree are not found', async (t) => {
    const { world, admin, firmware } = await setup(t);
    const asB = callerFor(world.orgs.b.id);
    await assert.rejects(() => world.ota.getFirmware(asB, firmware.id), NotFoundError);
    const mine = await world.ota.uploadFirmware(asB, { name: 'b fw', bytes: firmwareImage() });
    await assert.rejects(
      world.ota.createShipment(asB, { firmwareId: mine.id, deviceIds: [world.devices.a1.id] }),
      NotFoundError,
    );
    const shipment = await world.ota.createShipment(admin, {
      firmwareId: firmware.id,
      deviceIds: [world.devices.b.id],
    });
    await assert.rejects(() => world.ota.getShipment(callerFor(world.orgs.a.id), shipment.id), NotFoundError);
    assert.equal((await world.ota.listShipments(asB)).totalElements, 0);
    assert.equal((await world.ota.listFirmware(asB)).totalElements, 1);
    assert.equal((await world.ota.listFirmware(admin)).totalElements, 2);
  });
});
