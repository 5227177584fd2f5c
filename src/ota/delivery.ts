import type { Device, HardwareInfo } from '../platform/model.js';
import { downloadTokenKey, signDownloadToken } from './download-token.js';
import { firmwareFileName } from './firmware-blobs.js';
import { DeviceOtaStatus, type Firmware } from './model.js';
import type { ShipmentEntry } from './ota-store.js';
import type { OtaDeps, OtaDeviceLink } from './types.js';

/** The firmware type a device accepts: what it reported (`info/mcu` `type`), else its template id. */
export function acceptedType(
  deps: Pick<OtaDeps, 'platform'>,
  device: Device,
  info?: HardwareInfo,
): string | undefined {
  return (
    info?.fwType ?? device.hardwareInfo?.fwType ?? deps.platform.templates.byId(device.templateId)?.templateId
  );
}

/** spec §8 #21: a device whose `type` is not the package's `fw-type` is not offered it. */
export function typeMismatch(firmware: Firmware, accepted: string | undefined): boolean {
  return firmware.fwType !== undefined && accepted !== undefined && accepted !== firmware.fwType;
}

/**
 * True when `info` reports the package's version (and build, when both sides have one). A
 * package without a version tag can never be recognized this way.
 */
export function runsFirmware(firmware: Firmware, info: HardwareInfo | undefined): boolean {
  if (firmware.version === undefined || info?.version !== firmware.version) return false;
  return firmware.build === undefined || info.build === undefined || info.build === firmware.build;
}

/**
 * The status a device starts a shipment with: type mismatch, already running it (success), or
 * waiting to be offered.
 */
export function initialStatus(
  deps: Pick<OtaDeps, 'platform'>,
  firmware: Firmware,
  device: Device,
): DeviceOtaStatus {
  if (typeMismatch(firmware, acceptedType(deps, device))) return DeviceOtaStatus.FirmwareTypeMismatch;
  if (runsFirmware(firmware, device.hardwareInfo)) return DeviceOtaStatus.Success;
  return DeviceOtaStatus.ProcessStarted;
}

/** `downlink/ota/json` (spec §3.4): `url` and `size` always; `type`, `ver`, `build` from the tag. */
export function otaJson(firmware: Firmware, url: string): string {
  return JSON.stringify({
    url,
    size: firmware.size,
    ...(firmware.fwType === undefined ? {} : { type: firmware.fwType }),
    ...(firmware.version === undefined ? {} : { ver: firmware.version }),
    ...(firmware.build === undefined ? {} : { build: firmware.build }),
  });
}

export interface Delivery {
  /** Sends the offer when the device is online; true when sent. */
  offerIfOnline(entry: Pick<ShipmentEntry, 'shipmentId' | 'deviceId'>, firmware: Firmware): Promise<boolean>;
  /** Acts on an `info/mcu` report for the device's unfinished entry, if any. */
  onDeviceInfo(deviceId: number, info: HardwareInfo): Promise<void>;
  attach(link: OtaDeviceLink): void;
}

export function createDelivery(deps: OtaDeps): Delivery {
  const { store, clock, logger, options } = deps;
  const key = downloadTokenKey(deps.tokenKey);
  let link: OtaDeviceLink | undefined;

  const offer = async (
    entry: Pick<ShipmentEntry, 'shipmentId' | 'deviceId'>,
    firmware: Firmware,
  ): Promise<boolean> => {
    if (link === undefined) return false;
    const file = firmwareFileName(firmware.sha256);
    const token = signDownloadToken(key, {
      deviceId: entry.deviceId,
      shipmentId: entry.shipmentId,
      file,
      expiresAt: clock.now() + options.downloadTokenTtlSec * 1000,
    });
    const url = `${deps.publicUrl()}/static/${file}?token=${token}`;
    // Recorded before it is sent: a device that downloads at once must not have its
    // `firmware downloaded` overwritten by a later `request sent`.
    await store.setStatus(entry.shipmentId, entry.deviceId, DeviceOtaStatus.RequestSent, clock.now());
    // Unsolicited: reaches the device without a subscription, QoS 0 (spec §3.1).
    link.downlinks.unsolicited(entry.deviceId, 'downlink/ota/json', otaJson(firmware, url));
    logger.info({ deviceId: entry.deviceId, shipmentId: entry.shipmentId }, 'ota: offered firmware');
    return true;
  };

  /** What an `info/mcu` report means for an unfinished entry. */
  const next = (entry: ShipmentEntry, firmware: Firmware, device: Device, info: HardwareInfo) => {
    if (typeMismatch(firmware, acceptedType(deps, device, info))) return DeviceOtaStatus.FirmwareTypeMismatch;
    if (runsFirmware(firmware, info)) return DeviceOtaStatus.Success;
    if (entry.status !== DeviceOtaStatus.FirmwareDownloaded) return 'offer';
    // Downloaded, yet reporting something else: the update did not take (or cannot be checked).
    return firmware.version === undefined ? DeviceOtaStatus.Success : DeviceOtaStatus.FirmwareVersionMismatch;
  };

  return {
    async offerIfOnline(entry, firmware) {
      if (link === undefined || !link.presence.isOnline(entry.deviceId)) return false;
      return offer(entry, firmware);
    },
    async onDeviceInfo(deviceId, info) {
      if ((await store.activeEntry(deviceId)) === undefined) return;
      const device = await deps.platform.devices.byId(deviceId);
      // Read again after the await: the entry is what counts now.
      const entry = await store.activeEntry(deviceId);
      const firmware = entry && (await store.firmware(entry.firmwareId));
      if (entry === undefined || firmware === undefined || device === undefined) return;
      const outcome = next(entry, firmware, device, info);
      if (outcome === 'offer') {
        await offer(entry, firmware);
        return;
      }
      await store.setStatus(entry.shipmentId, deviceId, outcome, clock.now());
      logger.info({ deviceId, shipmentId: entry.shipmentId, status: outcome }, 'ota: device reported');
    },
    attach(target) {
      link = target;
    },
  };
}
