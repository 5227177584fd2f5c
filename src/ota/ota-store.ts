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

/** Where firmware rows, shipments and download counts live (SQLite: the platform database). */
export interface OtaStore {
  insertFirmware(firmware: NewFirmware): Firmware;
  firmware(id: number): Firmware | undefined;
  firmwarePage(query: ScopedPage): Page<Firmware>;
  /** Deletes the row (its shipments go with it); returns how many rows still use its file. */
  deleteFirmware(id: number): { readonly sameFileRows: number };
  hasRunningShipment(firmwareId: number): boolean;

  /**
   * Creates a running shipment; earlier unfinished entries of the same devices are cancelled in
   * the same transaction, so a device is in at most one unfinished entry.
   */
  createShipment(shipment: NewShipment): Shipment;
  shipment(id: number): Shipment | undefined;
  shipmentPage(query: ScopedPage): Page<Shipment>;
  /** Marks the shipment and its unfinished entries cancelled; false when it was not running. */
  cancelShipment(id: number, at: number): boolean;

  /** The unfinished entry of `deviceId` in a running shipment. */
  activeEntry(deviceId: number): ShipmentEntry | undefined;
  entry(shipmentId: number, deviceId: number): ShipmentEntry | undefined;
  /** Sets a device's status; a shipment whose entries are all final becomes COMPLETED. */
  setStatus(shipmentId: number, deviceId: number, status: DeviceOtaStatus, at: number): void;
  /**
   * Counts a download when fewer than `limit` happened after `since`; returns false (and counts
   * nothing) at the limit. Rows at or before `since` are pruned.
   */
  tryCountDownload(
    entry: { shipmentId: number; deviceId: number },
    at: number,
    since: number,
    limit: number,
  ): boolean;
  /** The hashes of every firmware row (to sweep files no row uses). */
  allSha256(): ReadonlySet<string>;
  close(): void;
}
