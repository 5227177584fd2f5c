import { describeEventLogStoreContract } from './event-log-store.contract.js';
import { openSqliteDeviceFixture } from './sqlite-device-harness.js';

describeEventLogStoreContract('sqlite', openSqliteDeviceFixture);
