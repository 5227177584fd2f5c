import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { NewDevice } from '../../src/platform/devices/device-store.js';
import type { DeviceStores } from '../../src/platform/devices/device-stores.js';
import { type DeviceStatus, DeviceStatus as Status } from '../../src/platform/model.js';

/**
 * What a backend harness provides to the device slice's contract suites: the stores on an empty
 * device schema, with three organizations and two templates to point devices at.
 */
export interface DeviceStoreFixture {
  readonly stores: DeviceStores;
  readonly orgIds: readonly [number, number, number];
  readonly templateIds: readonly [number, number];
}

export type OpenDeviceStores = (t: TestContext) => Promise<DeviceStoreFixture>;

export const T0 = 1_700_000_000_000;

let serial = 0;

/** A device row with a unique (fake) token hash and cipher. */
export function newDevice(
  fixture: DeviceStoreFixture,
  overrides: Partial<NewDevice> & { status?: DeviceStatus } = {},
): NewDevice {
  serial += 1;
  return {
    name: `Device ${serial}`,
    templateId: fixture.templateIds[0],
    orgId: fixture.orgIds[0],
    ownerUserId: null,
    status: Status.Created,
    tokenHash: randomBytes(32).toString('hex'),
    tokenCipher: randomBytes(60),
    createdAt: T0,
    ...overrides,
  };
}

/** `test()` options a runner passes to every test of a suite (e.g. `postgresTestOptions()`). */
export interface ContractTestOptions {
  readonly skip?: string | boolean;
}
