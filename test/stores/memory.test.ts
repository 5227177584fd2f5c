import { openMemoryStores } from '../../src/store/memory/open-memory-stores.js';
import type { OpenStores } from './fixtures.js';
import { describeRetainedStoreContract } from './retained-store.contract.js';
import { describeSessionStoreContract } from './session-store.contract.js';

const open: OpenStores = async (t) => {
  const stores = openMemoryStores();
  t.after(() => stores.close());
  return { stores };
};

describeSessionStoreContract('memory', open, { durable: false });
describeRetainedStoreContract('memory', open, { durable: false });
