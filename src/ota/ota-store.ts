import type { Page } from '../platform/model.js';
import type { DeviceOtaStatus, Firmware, Shipment, ShipmentDevice, ShipmentStatus } from './model.js';

export type NewFirmware = Omit<Firmware, 'id'>;

export interface NewShipment {
  readonly orgId: number;
  readonly firmwareId: number;
  readonly name: string;
  readonly createdAt: number;
  readonly devices: ReadonlyArray<{ readonly deviceId: number; readonly status: DeviceOtaStatus }>;
}

/** A device's place in a shipment, with what delivery needs of the shipment. */
export interface ShipmentEntry extends ShipmentDevice {
  readonly shipmentId: number;
  readonly shipmentStatus: ShipmentStatus;
  readonly firmwareId: number;
}

/** Org-scoped listing: rows whose org is one of `orgIds`. */
export interface ScopedPage {
  readonly orgIds: readonly number[];
  readonly offset: number;
  readonly limit: number;
}

/**
 * Where firmware rows, shipments and download counts live: the platform database (SQLite or
 * PostgreSQL). Every method is asynchronous; a database failure rejects.
 */
export interface OtaStore {
  insertFirmware(firmware: NewFirmware): Promise<Firmware>;
  firmware(id: number): Promise<Firmware | undefined>;
  firmwarePage(query: ScopedPage): Promise<Page<Firmware>>;
  /** Deletes the row (its shipments go with it); returns how many rows still use its file. */
  deleteFirmware(id: number): Promise<{ readonly sameFileRows: number }>;
  hasRunningShipment(firmwareId: number): Promise<boolean>;

  /**
   * Creates a running shipment; earlier unfinished entries of the same devices are cancelled in
   * the same transaction, so a device is in at most one unfinished entry.
   */
  createShipment(shipment: NewShipment): Promise<Shipment>;
  shipment(id: number): Promise<Shipment | undefined>;
  shipmentPage(query: ScopedPage): Promise<Page<Shipment>>;
  /** Marks the shipment and its unfinished entries cancelled; false when it was not running. */
  cancelShipment(id: number, at: number): Promise<boolean>;

  /** The unfinished entry of `deviceId` in a running shipment. */
  activeEntry(deviceId: number): Promise<ShipmentEntry | undefined>;
  entry(shipmentId: number, deviceId: number): Promise<ShipmentEntry | undefined>;
  /** Sets a device's status; a shipment whose entries are all final becomes COMPLETED. */
  setStatus(shipmentId: number, deviceId: number, status: DeviceOtaStatus, at: number): Promise<void>;
  /**
   * Counts a download when fewer than `limit` happened after `since`; returns false (and counts
   * nothing) at the limit. Rows at or before `since` are pruned.
   */
  tryCountDownload(
    entry: { shipmentId: number; deviceId: number },
    at: number,
    since: number,
    limit: number,
  ): Promise<boolean>;
  /** The hashes of every firmware row (to sweep bytes no row uses). */
  allSha256(): Promise<ReadonlySet<string>>;
  /** Releases what the store itself opened (nothing when it runs on a shared pool). */
  close(): Promise<void>;
}
