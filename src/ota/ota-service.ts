import type { OtaOptions } from '../config/ota-options.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Platform } from '../platform/platform.js';
import { openPlatformDatabase } from '../platform/sqlite/database.js';
import { createDelivery } from './delivery.js';
import { downloadAuthorizer } from './download.js';
import { firmwareCatalog } from './firmware-catalog.js';
import { firmwareFiles } from './firmware-files.js';
import { shipments } from './shipments.js';
import { createSqliteOtaStore } from './sqlite-ota-store.js';
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
      deps.store.close();
    },
  };
}

export interface OpenOtaOptions {
  /** Firmware files live in `<dataDir>/firmware/`. */
  readonly dataDir: string;
  /** The platform database file (migrated by the platform; OTA uses its own connection). */
  readonly dbFile: string;
  readonly platform: Platform;
  readonly tokenKey: Buffer;
  readonly options: OtaOptions;
  readonly publicUrl: () => string;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/**
 * Opens the OTA service on the platform database and the data directory; firmware files no row
 * uses any more (a crash between row and file changes) are removed.
 */
export async function openOtaService(open: OpenOtaOptions): Promise<OtaService> {
  const logger = open.logger.child({ component: 'ota' });
  const db = openPlatformDatabase(open.dbFile, { logger, tokenKey: open.tokenKey });
  const store = createSqliteOtaStore(db);
  try {
    const files = firmwareFiles(open.dataDir);
    const swept = await files.sweep(store.allSha256());
    if (swept > 0) logger.info({ swept }, 'ota: removed unused firmware files');
    return createOtaService({
      store,
      files,
      platform: open.platform,
      tokenKey: open.tokenKey,
      options: open.options,
      publicUrl: open.publicUrl,
      clock: open.clock ?? systemClock,
      logger,
    });
  } catch (err) {
    store.close();
    throw err;
  }
}
