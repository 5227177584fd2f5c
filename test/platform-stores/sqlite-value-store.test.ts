import { newDevice } from './device-store-fixture.js';
import { openSqliteDeviceFixture } from './sqlite-device-harness.js';
import { describeValueStoreContract } from './value-store.contract.js';

describeValueStoreContract('sqlite', async (t) => {
  const f = await openSqliteDeviceFixture(t);
  return {
    values: f.stores.values,
    addDevice: async () => (await f.stores.devices.insert(newDevice(f))).id,
    deleteDevice: async (id) => {
      await f.stores.devices.delete(id);
    },
  };
});
