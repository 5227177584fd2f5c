import type { Device, DeviceEventRecord, DeviceStatus, HardwareInfo, StaticToken } from '../model.js';
import type { MetaValueRow, PropertyRow } from './attribute-store.js';
import { openDeviceToken } from './device-token.js';

/*
 * Row shapes of the device tables and their mapping onto the model, shared by the SQLite and the
 * PostgreSQL stores: both schemas carry the same column names, and both read ids and epoch-ms
 * times as numbers and blobs/bytea as Buffers.
 */

/** A `devices` row without the token columns (those are read only on purpose). */
export interface DeviceRow {
  id: number;
  name: string;
  template_id: number;
  org_id: number;
  owner_user_id: number | null;
  status: DeviceStatus;
  hardware_info: string | null;
  activated_at: number | null;
  first_connect_time: number | null;
  connect_time: number | null;
  disconnect_time: number | null;
  ip: string | null;
  created_at: number;
  last_modified_ts: number;
}

export const deviceColumns = `id, name, template_id, org_id, owner_user_id, status, hardware_info, activated_at,
  first_connect_time, connect_time, disconnect_time, ip, created_at, last_modified_ts`;

/** Absent optionals stay absent (no `undefined`-valued keys), so results compare with deepEqual. */
export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    templateId: row.template_id,
    orgId: row.org_id,
    ownerUserId: row.owner_user_id,
    status: row.status,
    ...(row.hardware_info === null ? {} : { hardwareInfo: JSON.parse(row.hardware_info) as HardwareInfo }),
    ...(row.activated_at === null ? {} : { activatedAt: row.activated_at }),
    ...(row.first_connect_time === null ? {} : { firstConnectTime: row.first_connect_time }),
    ...(row.connect_time === null ? {} : { connectTime: row.connect_time }),
    ...(row.disconnect_time === null ? {} : { disconnectTime: row.disconnect_time }),
    ...(row.ip === null ? {} : { ip: row.ip }),
    createdAt: row.created_at,
    lastModifiedTs: row.last_modified_ts,
  };
}

/** A `static_tokens` row: the QR token is kept as its sha256 and its AES-GCM copy. */
export interface StaticTokenRow {
  id: number;
  token_hash: string;
  token_enc: Buffer;
  org_id: number;
  product_id: number;
  device_id: number;
  status: 'CLAIMED' | 'UNCLAIMED';
  owner_id: number | null;
  claimed_org_id: number | null;
  created_at: number;
}

/** The row with its QR token opened under `tokenKey` (throws when the key does not match). */
export function toStaticToken(tokenKey: Buffer, row: StaticTokenRow): StaticToken {
  return {
    id: row.id,
    token: openDeviceToken(tokenKey, row.token_enc, row.token_hash),
    orgId: row.org_id,
    productId: row.product_id,
    deviceId: row.device_id,
    status: row.status,
    ownerId: row.owner_id,
    claimedOrgId: row.claimed_org_id,
    createdAt: row.created_at,
  };
}

export interface EventRow {
  id: number;
  device_id: number;
  event_id: number;
  code: string;
  description: string;
  ts: number;
}

export function toEventRecord(row: EventRow): DeviceEventRecord {
  return {
    id: row.id,
    deviceId: row.device_id,
    eventId: row.event_id,
    code: row.code,
    description: row.description,
    ts: row.ts,
  };
}

/** A `properties` row: the value list is JSON text in both schemas. */
export interface PropertyColumns {
  datastream_id: number;
  name: string;
  value_list: string;
}

export function toPropertyRow(row: PropertyColumns): PropertyRow {
  return { dataStreamId: row.datastream_id, name: row.name, values: JSON.parse(row.value_list) as string[] };
}

export function toMetaValueRow(row: { meta_field_id: number; value: string }): MetaValueRow {
  return { metaFieldId: row.meta_field_id, value: row.value };
}

/** The message of the ConflictError a second device with the same token hash gets. */
export const duplicateDeviceToken = 'A device with this token already exists.';
/** The message of the ConflictError a second static token with the same QR token gets. */
export const duplicateStaticToken = 'A static token with this QR token already exists.';
