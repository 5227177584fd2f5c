import { describeDeviceStoreContract } from './device-store.contract.js';
import { openSqliteDeviceFixture } from './sqlite-device-harness.js';

describeDeviceStoreContract('sqlite', openSqliteDeviceFixture);
