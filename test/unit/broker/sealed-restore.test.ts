import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowAll } from '../../../src/broker/auth.js';
import { Broker } from '../../../src/broker/broker.js';
import type { FilterSeal } from '../../../src/broker/filter-seal.js';
import type { EngineStores, PersistedSubscription } from '../../../src/broker/store-ports.js';
import type { Subscription } from '../../../src/broker/subscription.js';
import { defaultLimits } from '../../../src/config/limits.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { openMemoryStores } from '../../../src/store/memory/index.js';

/** A seal for `secret/{word}/…` ↔ `sealed/{WORD}/…`, that knows which words are still valid. */
function fakeSeal(valid: Set<string>): FilterSeal {
  return {
    seal: (wire) =>
      wire.startsWith('secret/') ? `#${wire.slice('secret/'.length).toUpperCase()}` : undefined,
    unseal: async (sealed) => {
      const word = sealed.slice(1).toLowerCase();
      return valid.has(word.split('/')[0]!) ? `secret/${word}` : undefined;
    },
  };
}

function brokerOn(stores: EngineStores, filterSeal?: FilterSeal): Broker {
  return new Broker({
    limits: defaultLimits,
    authenticator: allowAll,
    authorizer: allowAll,
    logger: silentLogger(),
    stores,
    ...(filterSeal === undefined ? {} : { filterSeal }),
  });
}

const base = { qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 } as const;

async function storedSubscriptions(stores: EngineStores): Promise<readonly PersistedSubscription[]> {
  await stores.sessions.flush();
  const [loaded] = await stores.sessions.loadAll();
  return loaded?.session.subscriptions ?? [];
}

describe('sealed subscriptions (secrets in wire filters are not persisted)', () => {
  test('a subscription with a storedFilter is persisted sealed, never under its wire filter', async () => {
    const stores = openMemoryStores();
    const broker = brokerOn(stores);
    await broker.start();
    const session = broker.createSession('gw', 5, 3600);
    const sub: Subscription = {
      ...base,
      filter: 'secret/abc/x',
      topicFilter: '$i/1/x',
      storedFilter: '#ABC/X',
    };
    broker.subscribe(session, sub);
    broker.subscribe(session, { ...base, filter: 'plain/#', topicFilter: 'plain/#' });
    session.saveState();
    assert.deepEqual(await storedSubscriptions(stores), [
      { ...base, filter: '#ABC/X', sealed: true, matchFilter: '$i/1/x' },
      { ...base, filter: 'plain/#' },
    ]);
  });

  test('restore unseals what it can, drops what it cannot (and rewrites the row), drops all without a seal', async () => {
    const stores = openMemoryStores();
    stores.sessions.putSession({
      clientId: 'gw',
      protocolVersion: 5,
      expiryInterval: 3600,
      disconnectedAt: Date.now(),
      subscriptions: [
        { ...base, filter: '#ABC/X', sealed: true, matchFilter: '$i/1/x' },
        { ...base, filter: '#OLD/X', sealed: true, matchFilter: '$i/2/x' },
      ],
    });
    const broker = brokerOn(stores, fakeSeal(new Set(['abc'])));
    await broker.start();
    assert.deepEqual([...(broker.subscriptionsOf('gw')?.keys() ?? [])], ['secret/abc/x']);
    assert.equal(broker.subscriptionsOf('gw')?.get('secret/abc/x')?.topicFilter, '$i/1/x');
    assert.deepEqual(await storedSubscriptions(stores), [
      { ...base, filter: '#ABC/X', sealed: true, matchFilter: '$i/1/x' },
    ]);
    const without = brokerOn(stores);
    await without.start();
    assert.equal(without.subscriptionsOf('gw')?.size, 0, 'no seal: nothing to recover the filter with');
  });

  test('clear-text rows of an older version are restored sealed and written again without the secret', async () => {
    const stores = openMemoryStores();
    stores.sessions.putSession({
      clientId: 'gw',
      protocolVersion: 4,
      expiryInterval: 3600,
      disconnectedAt: Date.now(),
      subscriptions: [
        { ...base, filter: 'secret/abc/x', matchFilter: '$i/1/x' },
        { ...base, filter: 'secret/gone/x', matchFilter: '$i/2/x' },
        { ...base, filter: 'downlink/#', matchFilter: '$i/1/downlink/#' },
      ],
    });
    const broker = brokerOn(stores, fakeSeal(new Set(['abc'])));
    await broker.start();
    assert.deepEqual([...(broker.subscriptionsOf('gw')?.keys() ?? [])], ['secret/abc/x', 'downlink/#']);
    const stored = await storedSubscriptions(stores);
    assert.deepEqual(stored, [
      { ...base, filter: '#ABC/X', sealed: true, matchFilter: '$i/1/x' },
      { ...base, filter: 'downlink/#', matchFilter: '$i/1/downlink/#' },
    ]);
    assert.ok(!JSON.stringify(stored).includes('secret/'));
  });
});
