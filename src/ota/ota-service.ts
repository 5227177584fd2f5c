import type { OtaOptions } from '../config/ota-options.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Platform } from '../platform/platform.js';
import { createDelivery } from './delivery.js';
import { downloadAuthorizer } from './download.js';
import type { FirmwareBlobs } from './firmware-blobs.js';
import { firmwareCatalog } from './firmware-catalog.js';
import type { OtaStore } from './ota-store.js';
import { shipments } from './shipments.js';
import type { OtaDeps, OtaService } from './types.js';

/** At most this many `info/mcu` reports are acted on concurrently; more are dropped and logged. */
const MAX_PENDING_REPORTS = 10_000;

/** Builds the service on its dependencies (tests pass their own store and clock). */
export function createOtaService(deps: OtaDeps): OtaService {
  const catalog = firmwareCatalog(deps);
  const delivery = createDelivery(deps);
  const shipping = shipments(deps, catalog, delivery);
  const authorize = downloadAuthorizer(deps);
  const pending = new Set<Promise<void>>();
  const onDeviceInfo: OtaService['onDeviceInfo'] = (deviceId, info) => {
    if (pending.size >= MAX_PENDING_REPORTS) {
      deps.logger.warn({ deviceId }, 'ota: too many info/mcu reports in progress; report skipped');
      return;
    }
    // Device-API listeners must not throw: failures are logged here.
    const work = delivery
      .onDeviceInfo(deviceId, info)
      .catch((err: unknown) => deps.logger.error({ err, deviceId }, 'ota: info/mcu handling failed'))
      .finally(() => pending.delete(work));
    pending.add(work);
  };
  const idle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    uploadFirmware: (caller, input) => catalog.upload(caller, input),
    getFirmware: (caller, id) => catalog.get(caller, id),
    listFirmware: (caller, page) => catalog.list(caller, page),
    deleteFirmware: (caller, id) => catalog.delete(caller, id),
    createShipment: (caller, input) => shipping.create(caller, input),
    getShipment: (caller, id) => shipping.get(caller, id),
    listShipments: (caller, page) => shipping.list(caller, page),
    cancelShipment: (caller, id) => shipping.cancel(caller, id),
    authorizeDownload: authorize,
    attach(link) {
      delivery.attach(link);
      link.deviceInfoListeners.push(onDeviceInfo);
    },
    onDeviceInfo,
    idle,
    async close() {
      await idle();
      await deps.store.close();
    },
  };
}

export interface OpenOtaOptions {
  /** Firmware rows, shipments, download counts; the service closes it (close() or a failed open). */
  readonly store: OtaStore;
  /** Firmware bytes: files under the data directory, or the database's `firmware_blobs`. */
  readonly firmware: FirmwareBlobs;
  readonly platform: Platform;
  readonly tokenKey: Buffer;
  readonly options: OtaOptions;
  readonly publicUrl: () => string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * Opens the OTA service on the store and firmware bytes the caller chose (the composition root);
 * bytes no firmware row uses any more (a crash between row and bytes changes) are removed.
 */
export async function openOtaService(open: OpenOtaOptions): Promise<OtaService> {
  const logger = open.logger.child({ component: 'ota' });
  const { store, firmware } = open;
  try {
    const swept = await firmware.sweep(await store.allSha256());
    if (swept > 0) logger.info({ swept }, 'ota: removed unused firmware bytes');
    return createOtaService({
      store,
      firmware,
      platform: open.platform,
      tokenKey: open.tokenKey,
      options: open.options,
      publicUrl: open.publicUrl,
      clock: open.clock ?? systemClock,
      logger,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
}
