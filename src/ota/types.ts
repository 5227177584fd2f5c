import type { OtaOptions } from '../config/ota-options.js';
import type { DownlinkService, PresenceService } from '../device-api/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { HardwareInfo, Page } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { Caller, PageRequest } from '../platform/services.js';
import type { FirmwareFiles } from './firmware-files.js';
import type { Firmware, Shipment } from './model.js';
import type { OtaStore } from './ota-store.js';

/** The part of the device API runtime OTA uses (DeviceApiRuntime satisfies it). */
export interface OtaDeviceLink {
  readonly downlinks: Pick<DownlinkService, 'unsolicited'>;
  readonly presence: Pick<PresenceService, 'isOnline'>;
  readonly deviceInfoListeners: Array<(deviceId: number, info: HardwareInfo) => void>;
}

export interface OtaDeps {
  readonly store: OtaStore;
  readonly files: FirmwareFiles;
  readonly platform: Platform;
  /** The platform key (`<data-dir>/secret.key`); download tokens use a key derived from it. */
  readonly tokenKey: Buffer;
  readonly options: OtaOptions;
  /** Base of download URLs without a trailing slash; asked when a URL is made (ports bind late). */
  readonly publicUrl: () => string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A download the route may serve: the file and the response headers of spec §3.4. */
export interface ServedFirmware {
  readonly path: string;
  readonly size: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ShipmentInput {
  readonly firmwareId: number;
  readonly deviceIds: readonly number[];
  readonly name?: string;
}

/** Blynk.Air: firmware packages, shipments, delivery to devices and the download endpoint. */
export interface OtaService {
  uploadFirmware(
    caller: Caller,
    input: { readonly name: string; readonly orgId?: number; readonly bytes: Buffer },
  ): Promise<Firmware>;
  getFirmware(caller: Caller, id: number): Firmware;
  listFirmware(caller: Caller, page?: PageRequest): Page<Firmware>;
  /** ConflictError while a running shipment uses it. */
  deleteFirmware(caller: Caller, id: number): Promise<void>;

  /** Starts a shipment: online devices are offered the firmware at once, others after `info/mcu`. */
  createShipment(caller: Caller, input: ShipmentInput): Promise<Shipment>;
  getShipment(caller: Caller, id: number): Shipment;
  listShipments(caller: Caller, page?: PageRequest): Page<Shipment>;
  cancelShipment(caller: Caller, id: number): Shipment;

  /**
   * Checks a download (`GET /static/{file}?token=`) and counts it (not for HEAD). ForbiddenError
   * `Invalid token.` for any bad, expired or unusable token; `Download limit reached.` past the limit.
   */
  authorizeDownload(file: string, token: string, count: boolean): ServedFirmware;

  /** Connects delivery to the device API and listens to its `info/mcu` reports. */
  attach(link: OtaDeviceLink): void;
  /** The `info/mcu` listener (exposed for tests); never throws. */
  onDeviceInfo(deviceId: number, info: HardwareInfo): void;
  /** Resolves when every `info/mcu` handled so far has been acted on (tests). */
  idle(): Promise<void>;
  /** Waits for reports in progress, then closes the store. */
  close(): Promise<void>;
}
