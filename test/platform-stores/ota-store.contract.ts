import assert from 'node:assert/strict';
import { type TestContext, type TestOptions, test } from 'node:test';
import { DeviceOtaStatus, ShipmentStatus } from '../../src/ota/model.js';
import type { NewFirmware, OtaStore } from '../../src/ota/ota-store.js';

/** A store on a fresh platform database: two sibling orgs, three devices of `orgs[0]`. */
export interface OtaStoreFixture {
  readonly store: OtaStore;
  readonly orgs: readonly [number, number];
  readonly devices: readonly [number, number, number];
}

export type OpenOtaStore = (t: TestContext) => Promise<OtaStoreFixture>;

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function firmwareOf(orgId: number, sha256 = SHA_A, extra: Partial<NewFirmware> = {}): NewFirmware {
  return { orgId, name: 'fw', size: 1234, sha256, md5: 'c'.repeat(32), createdAt: 1000, ...extra };
}

/** A running shipment of a new firmware to `devices`, each waiting to be offered. */
async function ship(f: OtaStoreFixture, devices: readonly number[], at = 2000) {
  const firmware = await f.store.insertFirmware(firmwareOf(f.orgs[0]));
  const shipment = await f.store.createShipment({
    orgId: f.orgs[0],
    firmwareId: firmware.id,
    name: 's',
    createdAt: at,
    devices: devices.map((deviceId) => ({ deviceId, status: DeviceOtaStatus.ProcessStarted })),
  });
  return { firmware, shipment };
}

const statusOf = async (store: OtaStore, shipmentId: number, deviceId: number) =>
  (await store.entry(shipmentId, deviceId))?.status;

/** The OtaStore contract (spec §3.4 Blynk.Air), run on every backend. */
export function describeOtaStoreContract(
  backend: string,
  open: OpenOtaStore,
  options: TestOptions = {},
): void {
  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(`ota store (${backend}): ${name}`, options, fn);

  it('firmware rows: optional tag fields, org-scoped pages with totals, hashes, delete', async (t) => {
    const f = await open(t);
    const [a, b] = f.orgs;
    const tagged = await f.store.insertFirmware(
      firmwareOf(a, SHA_A, { version: '1.0', fwType: 'T', build: 'B', blynkVersion: '1.3' }),
    );
    assert.deepEqual(await f.store.firmware(tagged.id), tagged);
    assert.equal(tagged.version, '1.0');
    const bare = await f.store.insertFirmware(firmwareOf(a));
    assert.equal('version' in bare, false, 'absent tag fields stay absent');
    await f.store.insertFirmware(firmwareOf(b, SHA_B));
    const page = await f.store.firmwarePage({ orgIds: [a], offset: 1, limit: 10 });
    assert.deepEqual(
      page.content.map((x) => x.id),
      [bare.id],
    );
    assert.equal(page.totalElements, 2);
    const beyond = await f.store.firmwarePage({ orgIds: [a], offset: 5, limit: 10 });
    assert.deepEqual(beyond, { content: [], totalElements: 2 }, 'an empty page keeps the total');
    assert.equal((await f.store.firmwarePage({ orgIds: [a, b], offset: 0, limit: 10 })).totalElements, 3);
    assert.deepEqual(await f.store.allSha256(), new Set([SHA_A, SHA_B]));
    assert.deepEqual(await f.store.deleteFirmware(tagged.id), { sameFileRows: 1 });
    assert.deepEqual(await f.store.deleteFirmware(bare.id), { sameFileRows: 0 });
    assert.deepEqual(await f.store.deleteFirmware(bare.id), { sameFileRows: 0 }, 'already gone');
    assert.equal(await f.store.firmware(bare.id), undefined);
    assert.deepEqual(await f.store.allSha256(), new Set([SHA_B]));
  });

  it('a shipment lists its devices; an earlier unfinished entry of a device is cancelled', async (t) => {
    const f = await open(t);
    const [d1, d2, d3] = f.devices;
    const first = await ship(f, [d1, d2]);
    assert.equal(first.shipment.status, ShipmentStatus.Running);
    assert.deepEqual(
      first.shipment.devices.map((d) => [d.deviceId, d.status, d.downloads]),
      [
        [d1, DeviceOtaStatus.ProcessStarted, 0],
        [d2, DeviceOtaStatus.ProcessStarted, 0],
      ],
    );
    assert.equal(await f.store.hasRunningShipment(first.firmware.id), true);
    assert.deepEqual(await f.store.shipment(first.shipment.id), first.shipment);
    await f.store.setStatus(first.shipment.id, d1, DeviceOtaStatus.Success, 2500);
    const second = await ship(f, [d2, d3], 3000);
    assert.equal(await statusOf(f.store, first.shipment.id, d2), DeviceOtaStatus.Cancelled);
    assert.equal(await statusOf(f.store, first.shipment.id, d1), DeviceOtaStatus.Success, 'final kept');
    // Every entry of the first is final now: it is complete.
    assert.equal((await f.store.shipment(first.shipment.id))?.status, ShipmentStatus.Completed);
    assert.equal(await f.store.hasRunningShipment(first.firmware.id), false);
    const active = await f.store.activeEntry(d2);
    assert.equal(active?.shipmentId, second.shipment.id);
    assert.equal(active?.firmwareId, second.firmware.id);
    assert.equal(active?.shipmentStatus, ShipmentStatus.Running);
    assert.equal(await f.store.activeEntry(d1), undefined);
    const page = await f.store.shipmentPage({ orgIds: [f.orgs[0]], offset: 0, limit: 1 });
    assert.equal(page.totalElements, 2);
    assert.deepEqual(page.content, [await f.store.shipment(first.shipment.id)]);
    assert.deepEqual(await f.store.shipmentPage({ orgIds: [f.orgs[1]], offset: 0, limit: 5 }), {
      content: [],
      totalElements: 0,
    });
  });

  it('a shipment whose devices all start final is complete at once', async (t) => {
    const f = await open(t);
    const firmware = await f.store.insertFirmware(firmwareOf(f.orgs[0]));
    const shipment = await f.store.createShipment({
      orgId: f.orgs[0],
      firmwareId: firmware.id,
      name: 's',
      createdAt: 1,
      devices: [{ deviceId: f.devices[0], status: DeviceOtaStatus.FirmwareTypeMismatch }],
    });
    assert.equal(shipment.status, ShipmentStatus.Completed);
  });

  it('setStatus completes the shipment only when every entry is final', async (t) => {
    const f = await open(t);
    const [d1, d2] = f.devices;
    const { shipment } = await ship(f, [d1, d2]);
    await f.store.setStatus(shipment.id, d1, DeviceOtaStatus.RequestSent, 3000);
    const entry = await f.store.entry(shipment.id, d1);
    assert.equal(entry?.status, DeviceOtaStatus.RequestSent);
    assert.equal(entry?.updatedAt, 3000);
    await f.store.setStatus(shipment.id, d1, DeviceOtaStatus.Success, 3100);
    assert.equal((await f.store.shipment(shipment.id))?.status, ShipmentStatus.Running);
    await f.store.setStatus(shipment.id, d2, DeviceOtaStatus.FirmwareVersionMismatch, 3200);
    assert.equal((await f.store.shipment(shipment.id))?.status, ShipmentStatus.Completed);
  });

  it('concurrent final statuses of every device complete the shipment', async (t) => {
    const f = await open(t);
    // Several rounds: a lost "all final" check shows up only when two changes interleave.
    for (let round = 0; round < 20; round++) {
      const { shipment } = await ship(f, f.devices, 4000 + round);
      await Promise.all(
        f.devices.map((d) => f.store.setStatus(shipment.id, d, DeviceOtaStatus.Success, 4000)),
      );
      assert.equal((await f.store.shipment(shipment.id))?.status, ShipmentStatus.Completed, `round ${round}`);
    }
  });

  it('concurrent shipments to one device leave it in one unfinished entry', async (t) => {
    const f = await open(t);
    const [d1] = f.devices;
    const made = await Promise.all(Array.from({ length: 5 }, (_, i) => ship(f, [d1], 5000 + i)));
    const unfinished = [];
    for (const { shipment } of made) {
      const status = await statusOf(f.store, shipment.id, d1);
      if (status !== DeviceOtaStatus.Cancelled) unfinished.push(shipment.id);
    }
    assert.equal(unfinished.length, 1);
    assert.equal((await f.store.activeEntry(d1))?.shipmentId, unfinished[0]);
  });

  it('cancelShipment cancels unfinished entries once; false when not running', async (t) => {
    const f = await open(t);
    const [d1, d2] = f.devices;
    const { shipment, firmware } = await ship(f, [d1, d2]);
    await f.store.setStatus(shipment.id, d1, DeviceOtaStatus.Success, 2100);
    assert.equal(await f.store.cancelShipment(shipment.id, 2200), true);
    const cancelled = await f.store.shipment(shipment.id);
    assert.equal(cancelled?.status, ShipmentStatus.Cancelled);
    assert.deepEqual(
      cancelled?.devices.map((d) => [d.status, d.updatedAt]),
      [
        [DeviceOtaStatus.Success, 2100],
        [DeviceOtaStatus.Cancelled, 2200],
      ],
    );
    assert.equal(await f.store.cancelShipment(shipment.id, 2300), false);
    assert.equal(await f.store.cancelShipment(999_999, 2300), false);
    assert.equal(await f.store.hasRunningShipment(firmware.id), false);
    // Deleting the firmware takes its shipments along.
    await f.store.deleteFirmware(firmware.id);
    assert.equal(await f.store.shipment(shipment.id), undefined);
  });

  it('spec §3.4 download limit: counted per device in a window, older downloads pruned', async (t) => {
    const f = await open(t);
    const [d1] = f.devices;
    const { shipment } = await ship(f, [d1]);
    const entry = { shipmentId: shipment.id, deviceId: d1 };
    for (let i = 0; i < 3; i++) assert.equal(await f.store.tryCountDownload(entry, 10_000 + i, 0, 3), true);
    assert.equal(await f.store.tryCountDownload(entry, 10_010, 0, 3), false, 'at the limit');
    assert.equal((await f.store.entry(shipment.id, d1))?.downloads, 3, 'a refused download is not counted');
    // The window moved past the first two.
    assert.equal(await f.store.tryCountDownload(entry, 20_000, 10_001, 3), true);
    assert.equal(await f.store.tryCountDownload(entry, 20_001, 10_001, 3), true);
    assert.equal(await f.store.tryCountDownload(entry, 20_002, 10_001, 3), false);
    assert.equal((await f.store.entry(shipment.id, d1))?.downloads, 5);
  });

  it('spec §3.4 download limit: concurrent downloads never pass it', async (t) => {
    const f = await open(t);
    const [d1] = f.devices;
    const { shipment } = await ship(f, [d1]);
    const entry = { shipmentId: shipment.id, deviceId: d1 };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => f.store.tryCountDownload(entry, 10_000 + i, 0, 3)),
    );
    assert.equal(results.filter(Boolean).length, 3);
    assert.equal((await f.store.entry(shipment.id, d1))?.downloads, 3);
  });
}
