import { postgresTestOptions } from '../helpers/postgres.js';
import { describeEventLogStoreContract } from './event-log-store.contract.js';
import { openPgDeviceFixture } from './pg-device-harness.js';

describeEventLogStoreContract('postgres', openPgDeviceFixture, postgresTestOptions());
