import { describeAttributeStoreContract } from './attribute-store.contract.js';
import { openSqliteDeviceFixture } from './sqlite-device-harness.js';

describeAttributeStoreContract('sqlite', openSqliteDeviceFixture);
