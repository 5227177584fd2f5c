/** Blynk.Air entities (spec §3.4 `downlink/ota/json`, shipment statuses). */

/** An uploaded firmware package; the file is `<data-dir>/firmware/{sha256}.bin`. */
export interface Firmware {
  readonly id: number;
  readonly orgId: number;
  readonly name: string;
  readonly size: number;
  /** Hex SHA-256 of the file (also its file name). */
  readonly sha256: string;
  /** Hex MD5 (the `x-md5` header). */
  readonly md5: string;
  /** From the binary info tag; absent when the file carries none. */
  readonly version?: string;
  readonly fwType?: string;
  readonly build?: string;
  readonly blynkVersion?: string;
  readonly createdAt: number;
}

/**
 * Per-device shipment status (spec §3.4 list; the texts are the API values). The ones devgate
 * sets itself are below; a device that never reports back stays at the last one reached.
 */
export const DeviceOtaStatus = {
  /** In the shipment, waiting for the device (offline, or not yet offered). */
  ProcessStarted: 'process started',
  /** `downlink/ota/json` sent. */
  RequestSent: 'request sent',
  /** The file was served with a valid token. */
  FirmwareDownloaded: 'firmware downloaded',
  /** `info/mcu` reported the shipped version (and build, when the tag has one). */
  Success: 'success',
  /** The device's firmware type (or template id) is not the package's `fw-type`. */
  FirmwareTypeMismatch: 'firmware type mismatch',
  /** After a download, `info/mcu` reported another version. */
  FirmwareVersionMismatch: 'firmware version mismatch',
  /** More downloads than allowed in 24 h. */
  DownloadLimitReached: 'download limit reached',
  /** The shipment was cancelled, or a newer shipment took the device over. */
  Cancelled: 'cancelled',
} as const;
export type DeviceOtaStatus = (typeof DeviceOtaStatus)[keyof typeof DeviceOtaStatus];

/** Statuses after which the shipment does nothing more for the device. */
export const FINAL_STATUSES: ReadonlySet<DeviceOtaStatus> = new Set([
  DeviceOtaStatus.Success,
  DeviceOtaStatus.FirmwareTypeMismatch,
  DeviceOtaStatus.FirmwareVersionMismatch,
  DeviceOtaStatus.DownloadLimitReached,
  DeviceOtaStatus.Cancelled,
]);

export const ShipmentStatus = {
  /** Devices are still being served. */
  Running: 'RUNNING',
  /** Every device reached a final status. */
  Completed: 'COMPLETED',
  Cancelled: 'CANCELLED',
} as const;
export type ShipmentStatus = (typeof ShipmentStatus)[keyof typeof ShipmentStatus];

export interface ShipmentDevice {
  readonly deviceId: number;
  readonly status: DeviceOtaStatus;
  /** Epoch ms of the last status change. */
  readonly updatedAt: number;
  /** Downloads served to the device for this shipment. */
  readonly downloads: number;
}

export interface Shipment {
  readonly id: number;
  readonly orgId: number;
  readonly firmwareId: number;
  readonly name: string;
  readonly status: ShipmentStatus;
  readonly createdAt: number;
  readonly devices: readonly ShipmentDevice[];
}
