import { openSqliteDeviceFixture } from './sqlite-device-harness.js';
import { describeStaticTokenStoreContract } from './static-token-store.contract.js';

describeStaticTokenStoreContract('sqlite', openSqliteDeviceFixture);
