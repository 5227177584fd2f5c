import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { BrokerMessage } from '../../src/broker/message.js';
import type { RetainedStore } from '../../src/broker/store-ports.js';
import { StoreClosedError } from '../../src/store/errors.js';
import { bareMessage, fullMessage, type OpenStores } from './fixtures.js';
import type { ContractOptions } from './session-store.contract.js';

/** Retained order is not part of the contract: compare by topic. */
async function byTopic(store: RetainedStore): Promise<BrokerMessage[]> {
  return (await store.loadAll()).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** The RetainedStore contract (src/store/types.ts), run once per backend. */
export function describeRetainedStoreContract(
  name: string,
  open: OpenStores,
  options: ContractOptions,
): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`RetainedStore contract (${name}) - ${what}`, fn);

  it('round-trips every message field, Buffers included', async (t) => {
    const { retained } = (await open(t)).stores;
    retained.put(fullMessage('a/full'));
    await retained.flush();
    assert.deepEqual(await retained.loadAll(), [fullMessage('a/full')]);
  });

  it('keeps absent optionals absent and empty payloads empty', async (t) => {
    const { retained } = (await open(t)).stores;
    retained.put(bareMessage('a/bare'));
    const [message] = await retained.loadAll();
    assert.deepEqual(message, bareMessage('a/bare'));
    assert.ok(message && !('expiresAt' in message) && !('publisherId' in message));
  });

  it('put replaces the message of the same topic', async (t) => {
    const { retained } = (await open(t)).stores;
    retained.put(fullMessage('t/1'));
    retained.put(bareMessage('t/2'));
    await retained.flush();
    retained.put(bareMessage('t/1', Buffer.from('new')));
    await retained.flush();
    assert.deepEqual(await byTopic(retained), [bareMessage('t/1', Buffer.from('new')), bareMessage('t/2')]);
  });

  it('delete removes only its topic; deleting an unknown topic is a no-op', async (t) => {
    const { retained } = (await open(t)).stores;
    retained.put(bareMessage('t/1'));
    retained.put(bareMessage('t/2'));
    await retained.flush();
    retained.delete('t/1');
    retained.delete('never/stored');
    await retained.flush();
    assert.deepEqual(await byTopic(retained), [bareMessage('t/2')]);
  });

  it('the last of several writes to a topic within a batch wins', async (t) => {
    const { retained } = (await open(t)).stores;
    retained.put(bareMessage('gone'));
    retained.delete('gone');
    retained.delete('back');
    retained.put(bareMessage('back', Buffer.from('v2')));
    await retained.flush();
    assert.deepEqual(await byTopic(retained), [bareMessage('back', Buffer.from('v2'))]);
  });

  it('topics are stored exactly (case, unicode, separators, $-prefix)', async (t) => {
    const { retained } = (await open(t)).stores;
    const topics = ['A/b', 'a/b', 'a/b/', '/a', '$SYS/x', 'é/🙂', ' '];
    for (const topic of topics) retained.put(bareMessage(topic));
    await retained.flush();
    assert.deepEqual((await retained.loadAll()).map((m) => m.topic).sort(), [...topics].sort());
  });

  it('stores copies: changing a written or loaded message does not reach the store', async (t) => {
    const { retained } = (await open(t)).stores;
    const message = fullMessage('t');
    retained.put(message);
    message.payload.fill(0);
    message.properties.correlationData?.fill(0);
    const [loaded] = await retained.loadAll();
    assert.deepEqual(loaded, fullMessage('t'));
    loaded?.payload.fill(0);
    assert.deepEqual(await retained.loadAll(), [fullMessage('t')]);
  });

  it('refuses writes after close with StoreClosedError', async (t) => {
    const { stores } = await open(t);
    await stores.retained.close();
    assert.throws(() => stores.retained.put(bareMessage()), StoreClosedError);
    assert.throws(() => stores.retained.delete('x'), StoreClosedError);
    await assert.rejects(stores.retained.flush(), StoreClosedError);
  });

  if (!options.durable) return;

  it('retained messages survive close and reopen', async (t) => {
    const harness = await open(t);
    harness.stores.retained.put(fullMessage('r/1'));
    harness.stores.retained.put(bareMessage('r/2'));
    harness.stores.retained.put(bareMessage('r/3'));
    await harness.stores.retained.flush();
    harness.stores.retained.delete('r/3');
    const reopened = await harness.reopen!();
    assert.deepEqual(await byTopic(reopened.retained), [fullMessage('r/1'), bareMessage('r/2')]);
  });
}
