import type { Device, DeviceStatus, HardwareInfo, Page } from '../model.js';

/** A device row as created; the store assigns `id` and sets `lastModifiedTs = createdAt`. */
export interface NewDevice {
  readonly name: string;
  readonly templateId: number;
  readonly orgId: number;
  readonly ownerUserId: number | null;
  readonly status: DeviceStatus;
  /** sha256 hex of the token: the only way a device is found by token. */
  readonly tokenHash: string;
  /** The token encrypted under the platform key (see device-token.ts). */
  readonly tokenCipher: Buffer;
  readonly activatedAt?: number;
  readonly createdAt: number;
}

/** Fields a service may change; absent = unchanged, `null` clears a nullable field. */
export interface DevicePatch {
  readonly name?: string;
  readonly orgId?: number;
  readonly ownerUserId?: number | null;
  readonly status?: DeviceStatus;
  readonly hardwareInfo?: HardwareInfo;
  readonly activatedAt?: number;
}

export interface DeviceQuery {
  /** Devices whose org is one of these. */
  readonly orgIds: readonly number[];
  /** Case-insensitive substring of the name. */
  readonly nameContains?: string;
  readonly offset: number;
  readonly limit: number;
}

/** One device's connection bookkeeping; an absent time leaves its column as it is. */
export interface ConnectionRecord {
  readonly deviceId: number;
  readonly connectedAt?: number;
  /** Only with connectedAt: the address of that connection. */
  readonly ip?: string;
  readonly disconnectedAt?: number;
}

/**
 * Device rows and their tokens (spec §5.4). Ordered by id wherever a list is returned. Every
 * write sets `lastModifiedTs` to the `at` it is given.
 */
export interface DeviceStore {
  insert(device: NewDevice): Promise<Device>;
  get(id: number): Promise<Device | undefined>;
  byTokenHash(tokenHash: string): Promise<Device | undefined>;
  /**
   * At most `limit` devices with their token hashes, the most recently connected first (never
   * connected last, then newest first): what fills the login cache when the platform opens.
   */
  warmest(limit: number): Promise<Array<{ readonly tokenHash: string; readonly device: Device }>>;
  /** The stored forms of the device's token (for revealing it to an authorized caller). */
  tokenSecret(id: number): Promise<{ tokenHash: string; tokenCipher: Buffer } | undefined>;
  /** Replaces the token; false when the device is unknown. */
  setToken(id: number, tokenHash: string, tokenCipher: Buffer, at: number): Promise<boolean>;
  list(query: DeviceQuery): Promise<Page<Device>>;
  update(id: number, patch: DevicePatch, at: number): Promise<Device | undefined>;
  /**
   * Records connection times, many devices in one write (at most one record per device): a
   * connect sets connectTime (and firstConnectTime once) and ip when given, a disconnect sets
   * disconnectTime, lastModifiedTs becomes the later of the two. Returns the devices that exist,
   * as they are now; unknown ids are skipped.
   */
  recordConnections(records: readonly ConnectionRecord[]): Promise<Device[]>;
  /** Devices using a template (template deletion refuses while > 0). */
  countByTemplate(templateId: number): Promise<number>;
  /** Removes the device and its data; false when unknown. */
  delete(id: number): Promise<boolean>;
}
