import type { Device, Page, StaticToken } from '../model.js';
import type { NewDevice } from './device-store.js';

export interface NewStaticToken {
  /** QR token `sqr_…` */
  readonly token: string;
  readonly orgId: number;
  readonly productId: number;
  readonly createdAt: number;
  /** The UNCLAIMED device the token stands for, created with it. */
  readonly device: NewDevice;
}

export interface StaticTokenWithDevice {
  readonly staticToken: StaticToken;
  readonly device: Device;
}

export interface ClaimInput {
  readonly orgId: number;
  readonly ownerId: number | null;
  /** New device name; unchanged when absent. */
  readonly name?: string;
  readonly at: number;
}

/** Static tokens (spec §5.9), each tied to one device row. Lists are ordered by id. */
export interface StaticTokenStore {
  /** Creates the devices and their tokens together (all or nothing), in input order. */
  createMany(items: readonly NewStaticToken[]): Promise<readonly StaticTokenWithDevice[]>;
  get(id: number): Promise<StaticToken | undefined>;
  byToken(token: string): Promise<StaticToken | undefined>;
  byDeviceId(deviceId: number): Promise<StaticToken | undefined>;
  list(query: { orgIds: readonly number[]; offset: number; limit: number }): Promise<Page<StaticToken>>;
  /**
   * UNCLAIMED → CLAIMED, moving the device into `orgId` (status CLAIMED, owner, name). undefined
   * when the token is unknown or already claimed (nothing changes).
   */
  claim(id: number, input: ClaimInput): Promise<StaticTokenWithDevice | undefined>;
  /** CLAIMED → UNCLAIMED: the device returns to the token's org, unowned, status UNCLAIMED. */
  unclaim(id: number, at: number): Promise<StaticTokenWithDevice | undefined>;
  /** Deletes the token and its device (its token stops working); false when unknown. */
  delete(id: number): Promise<boolean>;
}
