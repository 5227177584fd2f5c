import type { DeviceOtaStatus, Firmware, ShipmentStatus } from './model.js';
import type { ShipmentEntry } from './ota-store.js';

/** A `firmware` row as both backends read it (ids and times as numbers). */
export interface FirmwareRow {
  id: number;
  org_id: number;
  name: string;
  size: number;
  sha256: string;
  md5: string;
  version: string | null;
  fw_type: string | null;
  build: string | null;
  blynk_version: string | null;
  created_at: number;
}

/** A `shipment_devices` row joined with what delivery needs of its shipment. */
export interface EntryRow {
  shipment_id: number;
  shipment_status: ShipmentStatus;
  firmware_id: number;
  device_id: number;
  status: DeviceOtaStatus;
  updated_at: number;
  downloads: number;
}

const optional = <K extends string>(key: K, value: string | null): Partial<Record<K, string>> =>
  value === null ? {} : ({ [key]: value } as Record<K, string>);

export const toFirmware = (row: FirmwareRow): Firmware => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  size: row.size,
  sha256: row.sha256,
  md5: row.md5,
  ...optional('version', row.version),
  ...optional('fwType', row.fw_type),
  ...optional('build', row.build),
  ...optional('blynkVersion', row.blynk_version),
  createdAt: row.created_at,
});

export const toEntry = (row: EntryRow): ShipmentEntry => ({
  shipmentId: row.shipment_id,
  shipmentStatus: row.shipment_status,
  firmwareId: row.firmware_id,
  deviceId: row.device_id,
  status: row.status,
  updatedAt: row.updated_at,
  downloads: row.downloads,
});
