import type { Readable } from 'node:stream';
import type { OtaOptions } from '../config/ota-options.js';
import type { DownlinkService, PresenceService } from '../device-api/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { HardwareInfo, Page } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { Caller, PageRequest } from '../platform/services.js';
import type { FirmwareBlobs } from './firmware-blobs.js';
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
  /** The firmware bytes (files under the data directory, or database rows). */
  readonly firmware: FirmwareBlobs;
  readonly platform: Platform;
  /** The platform key (`<data-dir>/secret.key`); download tokens use a key derived from it. */
  readonly tokenKey: Buffer;
  readonly options: OtaOptions;
  /** Base of download URLs without a trailing slash; asked when a URL is made (ports bind late). */
  readonly publicUrl: () => string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A download the route may serve: its length, the response headers of spec §3.4 and the bytes. */
export interface ServedFirmware {
  readonly size: number;
  /** The bytes, read through FirmwareBlobs; NotFoundError when they are gone (deleted meanwhile). */
  body(): Promise<Readable>;
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
  getFirmware(caller: Caller, id: number): Promise<Firmware>;
  listFirmware(caller: Caller, page?: PageRequest): Promise<Page<Firmware>>;
  /** ConflictError while a running shipment uses it. */
  deleteFirmware(caller: Caller, id: number): Promise<void>;

  /** Starts a shipment: online devices are offered the firmware at once, others after `info/mcu`. */
  createShipment(caller: Caller, input: ShipmentInput): Promise<Shipment>;
  getShipment(caller: Caller, id: number): Promise<Shipment>;
  listShipments(caller: Caller, page?: PageRequest): Promise<Page<Shipment>>;
  cancelShipment(caller: Caller, id: number): Promise<Shipment>;

  /**
   * Checks a download (`GET /static/{file}?token=`) and counts it (not for HEAD). ForbiddenError
   * `Invalid token.` for any bad, expired or unusable token; `Download limit reached.` past the limit.
   */
  authorizeDownload(file: string, token: string, count: boolean): Promise<ServedFirmware>;

  /** Connects delivery to the device API and listens to its `info/mcu` reports. */
  attach(link: OtaDeviceLink): void;
  /** The `info/mcu` listener (exposed for tests); never throws. */
  onDeviceInfo(deviceId: number, info: HardwareInfo): void;
  /** Resolves when every `info/mcu` handled so far has been acted on (tests). */
  idle(): Promise<void>;
  /** Waits for reports in progress, then closes the store (the caller's pool stays open). */
  close(): Promise<void>;
}
