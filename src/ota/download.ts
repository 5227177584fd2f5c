import { ForbiddenError, NotFoundError } from '../platform/errors.js';
import { downloadTokenKey, verifyDownloadToken } from './download-token.js';
import { FIRMWARE_FILE, firmwareFileName } from './firmware-blobs.js';
import { DeviceOtaStatus, FINAL_STATUSES, type Firmware, ShipmentStatus } from './model.js';
import type { OtaDeps, ServedFirmware } from './types.js';

/** The download-limit window (spec §3.4 "3 downloads / 24 h"). */
const DOWNLOAD_WINDOW_MS = 24 * 3600 * 1000;

/** Every refusal but the limit reads the same: nothing tells a prober which part was wrong. */
const invalidToken = (): ForbiddenError => new ForbiddenError('Invalid token.');

/** spec §3.4 download response headers. */
export function firmwareHeaders(firmware: Firmware): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'cache-control': 'no-store',
    'x-sha256': Buffer.from(firmware.sha256, 'hex').toString('base64'),
    'x-md5': firmware.md5,
    ...(firmware.fwType === undefined ? {} : { 'x-fw-type': firmware.fwType }),
    ...(firmware.version === undefined ? {} : { 'x-fw-ver': firmware.version }),
    ...(firmware.build === undefined ? {} : { 'x-fw-build': firmware.build }),
  };
}

/**
 * The download check (spec §6.2 note): the token must be ours, unexpired, for this file, for an
 * unfinished entry of a running shipment; each counted download uses one of the device's
 * downloads per 24 h, and one past the limit ends the device's part in the shipment.
 */
export function downloadAuthorizer(deps: OtaDeps) {
  const { store, firmware: blobs, clock, options, logger } = deps;
  const key = downloadTokenKey(deps.tokenKey);
  return async (file: string, token: string, count: boolean): Promise<ServedFirmware> => {
    const now = clock.now();
    const claims = FIRMWARE_FILE.test(file) ? verifyDownloadToken(key, token, file, now) : undefined;
    if (claims === undefined) throw invalidToken();
    const { shipmentId, deviceId } = claims;
    const entry = await store.entry(shipmentId, deviceId);
    const firmware = entry && (await store.firmware(entry.firmwareId));
    if (entry === undefined || firmware === undefined || firmwareFileName(firmware.sha256) !== file)
      throw invalidToken();
    if (entry.status === DeviceOtaStatus.DownloadLimitReached)
      throw new ForbiddenError('Download limit reached.');
    if (entry.shipmentStatus !== ShipmentStatus.Running || FINAL_STATUSES.has(entry.status))
      throw invalidToken();
    if (count) {
      if (!(await store.tryCountDownload(entry, now, now - DOWNLOAD_WINDOW_MS, options.downloadsPerDay))) {
        await store.setStatus(shipmentId, deviceId, DeviceOtaStatus.DownloadLimitReached, now);
        logger.warn({ deviceId, shipmentId }, 'ota: download limit reached');
        throw new ForbiddenError('Download limit reached.');
      }
      await store.setStatus(shipmentId, deviceId, DeviceOtaStatus.FirmwareDownloaded, now);
    }
    const { sha256 } = firmware;
    const body = async () => {
      const stream = await blobs.stream(sha256);
      if (stream === undefined) throw new NotFoundError('Firmware file not found.');
      return stream;
    };
    return { size: firmware.size, headers: firmwareHeaders(firmware), body };
  };
}
