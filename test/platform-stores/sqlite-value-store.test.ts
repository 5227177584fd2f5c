import { openSqliteDeviceFixture } from './sqlite-device-harness.js';
import { describeValueStoreContract } from './value-store.contract.js';

describeValueStoreContract('sqlite', openSqliteDeviceFixture);
