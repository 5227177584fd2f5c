import { postgresTestOptions } from '../helpers/postgres.js';
import { describeAttributeStoreContract } from './attribute-store.contract.js';
import { openPgDeviceFixture } from './pg-device-harness.js';

describeAttributeStoreContract('postgres', openPgDeviceFixture, postgresTestOptions());
