import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { LoadedSession, SessionStore } from '../../src/broker/store-ports.js';
import { StoreClosedError } from '../../src/store/errors.js';
import { bareMessage, bareSession, fullMessage, fullSession, type OpenStores, outbound } from './fixtures.js';

export interface ContractOptions {
  /** The backend keeps data across close + reopen (the harness provides `reopen`). */
  readonly durable: boolean;
}

async function loadOne(store: SessionStore, clientId: string): Promise<LoadedSession | undefined> {
  return (await store.loadAll()).find((l) => l.session.clientId === clientId);
}

async function seqs(store: SessionStore, clientId: string): Promise<number[] | undefined> {
  return (await loadOne(store, clientId))?.outbound.map((o) => o.seq);
}

/** The SessionStore contract (src/store/types.ts), run once per backend. */
export function describeSessionStoreContract(name: string, open: OpenStores, options: ContractOptions): void {
  const it = (what: string, fn: (t: TestContext) => Promise<void>) =>
    test(`SessionStore contract (${name}) - ${what}`, fn);

  it('round-trips every session, will and outbound field, Buffers included', async (t) => {
    const { sessions } = (await open(t)).stores;
    const session = fullSession('c1');
    const full = {
      ...outbound(1, 'publish', 65535, fullMessage('t/full')),
      subscriptionIds: [1, 268_435_455],
    };
    const noIds = { ...outbound(2), subscriptionIds: [] };
    sessions.putSession(session);
    sessions.putOutbound('c1', full);
    sessions.putOutbound('c1', noIds);
    sessions.addInboundQoS2('c1', 1);
    await sessions.flush();
    assert.deepEqual(await sessions.loadAll(), [{ session, outbound: [full, noIds], inboundQoS2: [1] }]);
  });

  it('keeps absent optionals absent (no will, no expiry, no publisher, empty properties and payload)', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1', 3));
    sessions.putOutbound('c1', outbound(1, 'queued', null, bareMessage('t', Buffer.alloc(0))));
    const loaded = await loadOne(sessions, 'c1');
    assert.ok(loaded);
    assert.deepEqual(loaded.session, bareSession('c1', 3));
    assert.equal('will' in loaded.session, false);
    const message = loaded.outbound[0]?.message;
    assert.ok(message);
    assert.equal('expiresAt' in message, false);
    assert.equal('publisherId' in message, false);
    assert.deepEqual(message.properties, {});
    assert.ok(Buffer.isBuffer(message.payload));
    assert.equal(message.payload.length, 0);
    assert.equal(loaded.outbound[0]?.packetId, null);
    assert.equal('subscriptionIds' in (loaded.outbound[0] ?? {}), false);
  });

  it('putSession replaces the whole row (subscriptions, will, expiry, disconnectedAt)', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(fullSession('c1'));
    await sessions.flush();
    const replaced = { ...bareSession('c1', 5), expiryInterval: 60 };
    sessions.putSession(replaced);
    await sessions.flush();
    assert.deepEqual((await loadOne(sessions, 'c1'))?.session, replaced);
  });

  it('deleteSession removes outbound and inbound rows and leaves other clients alone', async (t) => {
    const { sessions } = (await open(t)).stores;
    for (const id of ['gone', 'kept']) {
      sessions.putSession(bareSession(id));
      sessions.putOutbound(id, outbound(1));
      sessions.addInboundQoS2(id, 9);
    }
    await sessions.flush();
    sessions.deleteSession('gone');
    await sessions.flush();
    sessions.putSession(bareSession('gone')); // a new session of the same id starts empty
    const all = await sessions.loadAll();
    assert.deepEqual(
      all.find((l) => l.session.clientId === 'gone'),
      {
        session: bareSession('gone'),
        outbound: [],
        inboundQoS2: [],
      },
    );
    const kept = all.find((l) => l.session.clientId === 'kept');
    assert.deepEqual([kept?.outbound.length, kept?.inboundQoS2], [1, [9]]);
  });

  it('loadAll returns outbound sorted by seq whatever the write order', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1'));
    for (const seq of [5, 1, 1000, 3]) sessions.putOutbound('c1', outbound(seq));
    await sessions.flush();
    for (const seq of [2, 999, 4]) sessions.putOutbound('c1', outbound(seq));
    assert.deepEqual(await seqs(sessions, 'c1'), [1, 2, 3, 4, 5, 999, 1000]);
  });

  it('outbound moves queued -> publish -> pubrel in place, then is deleted on PUBCOMP', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1'));
    const message = fullMessage('t/qos2');
    for (const [state, packetId] of [
      ['queued', null],
      ['publish', 17],
      ['pubrel', 17],
    ] as const) {
      sessions.putOutbound('c1', outbound(4, state, packetId, message));
      await sessions.flush();
      assert.deepEqual((await loadOne(sessions, 'c1'))?.outbound, [outbound(4, state, packetId, message)]);
    }
    sessions.deleteOutbound('c1', 4);
    await sessions.flush();
    assert.deepEqual(await seqs(sessions, 'c1'), []);
  });

  it('repeated writes to one seq within a batch keep the last one', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1'));
    sessions.putOutbound('c1', outbound(1, 'queued'));
    sessions.putOutbound('c1', outbound(1, 'publish', 3));
    sessions.putOutbound('c1', outbound(1, 'pubrel', 3));
    sessions.putOutbound('c1', outbound(2, 'queued'));
    sessions.deleteOutbound('c1', 2);
    sessions.deleteOutbound('c1', 3);
    sessions.putOutbound('c1', outbound(3, 'publish', 4));
    await sessions.flush();
    assert.deepEqual((await loadOne(sessions, 'c1'))?.outbound, [
      outbound(1, 'pubrel', 3),
      outbound(3, 'publish', 4),
    ]);
  });

  it('deleteSession within a batch removes earlier writes of the client and keeps later ones', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(fullSession('c1'));
    sessions.putOutbound('c1', outbound(1));
    sessions.addInboundQoS2('c1', 5);
    sessions.deleteSession('c1');
    sessions.putSession(bareSession('c1'));
    sessions.putOutbound('c1', outbound(2));
    sessions.addInboundQoS2('c1', 6);
    sessions.putSession(bareSession('other'));
    await sessions.flush();
    const all = await sessions.loadAll();
    assert.deepEqual(
      all.find((l) => l.session.clientId === 'c1'),
      {
        session: bareSession('c1'),
        outbound: [outbound(2)],
        inboundQoS2: [6],
      },
    );
    assert.ok(all.some((l) => l.session.clientId === 'other'));
  });

  it('inbound QoS 2 ids are added once, deleted on release, and returned ascending', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1'));
    for (const id of [300, 7, 65535, 7]) sessions.addInboundQoS2('c1', id);
    await sessions.flush();
    assert.deepEqual((await loadOne(sessions, 'c1'))?.inboundQoS2, [7, 300, 65535]);
    sessions.deleteInboundQoS2('c1', 300);
    sessions.deleteInboundQoS2('c1', 12); // unknown id: no-op
    sessions.addInboundQoS2('c1', 1);
    sessions.deleteInboundQoS2('c1', 1);
    await sessions.flush();
    assert.deepEqual((await loadOne(sessions, 'c1'))?.inboundQoS2, [7, 65535]);
  });

  it('loadAll returns only clients with a session row; earlier outbound rows join it', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putOutbound('orphan', outbound(1));
    sessions.putOutbound('late', outbound(1));
    sessions.addInboundQoS2('late', 2);
    sessions.putSession(bareSession('late'));
    const all = await sessions.loadAll();
    assert.deepEqual(all, [{ session: bareSession('late'), outbound: [outbound(1)], inboundQoS2: [2] }]);
  });

  it('stores copies: later changes to written or loaded objects do not reach the store', async (t) => {
    const { sessions } = (await open(t)).stores;
    const session = fullSession('c1');
    const message = fullMessage('t');
    sessions.putSession(session);
    sessions.putOutbound('c1', outbound(1, 'queued', null, message));
    message.payload.fill(0);
    message.properties.correlationData?.fill(0);
    (session.subscriptions as unknown[]).length = 0;
    session.will?.message.payload.fill(0);
    const first = await loadOne(sessions, 'c1');
    assert.deepEqual(first?.session, fullSession('c1'));
    assert.deepEqual(first?.outbound[0]?.message, fullMessage('t'));
    first?.outbound[0]?.message.payload.fill(1);
    assert.deepEqual((await loadOne(sessions, 'c1'))?.outbound[0]?.message, fullMessage('t'));
  });

  it('flush resolves with nothing pending, and loadAll sees writes issued before it', async (t) => {
    const { sessions } = (await open(t)).stores;
    await sessions.flush();
    sessions.putSession(bareSession('c1'));
    sessions.putOutbound('c1', outbound(1));
    assert.deepEqual(await seqs(sessions, 'c1'), [1]);
    await sessions.flush();
    await sessions.flush();
  });

  it('load returns the requested sessions shaped as loadAll does; unknown ids are left out', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(fullSession('c1'));
    sessions.putOutbound('c1', { ...outbound(2, 'pubrel', 8, fullMessage('x')), subscriptionIds: [3] });
    sessions.putOutbound('c1', outbound(1, 'publish', 7));
    sessions.addInboundQoS2('c1', 300);
    sessions.addInboundQoS2('c1', 42);
    sessions.putSession(bareSession('c2'));
    sessions.putSession(bareSession('other'));
    sessions.putOutbound('other', outbound(1));
    sessions.putOutbound('orphan', outbound(1)); // no session row: not a session
    const byId = (all: LoadedSession[]) =>
      all.sort((a, b) => a.session.clientId.localeCompare(b.session.clientId));
    const wanted = (await sessions.loadAll()).filter((l) => ['c1', 'c2'].includes(l.session.clientId));
    const loaded = await sessions.load(['c2', 'unknown', 'c1', 'orphan', 'c1']);
    assert.deepEqual(byId(loaded), byId(wanted));
    assert.deepEqual(
      loaded.find((l) => l.session.clientId === 'c1')?.outbound.map((o) => o.seq),
      [1, 2],
    );
    assert.deepEqual(loaded.find((l) => l.session.clientId === 'c1')?.inboundQoS2, [42, 300]);
    assert.deepEqual(await sessions.load([]), []);
    assert.deepEqual(await sessions.load(['unknown']), []);
  });

  it('load sees writes issued before it and deletes of the session', async (t) => {
    const { sessions } = (await open(t)).stores;
    sessions.putSession(bareSession('c1'));
    sessions.putOutbound('c1', outbound(1));
    sessions.addInboundQoS2('c1', 5);
    assert.deepEqual(await sessions.load(['c1']), [
      { session: bareSession('c1'), outbound: [outbound(1)], inboundQoS2: [5] },
    ]);
    sessions.deleteSession('c1');
    assert.deepEqual(await sessions.load(['c1']), []);
    const loaded = await sessions.load(['c1', 'c1']);
    assert.equal(loaded.length, 0);
  });

  it('refuses writes after close with StoreClosedError; close is idempotent', async (t) => {
    const { stores } = await open(t);
    await stores.close();
    await stores.close();
    assert.throws(() => stores.sessions.putSession(bareSession()), StoreClosedError);
    assert.throws(() => stores.sessions.putOutbound('c', outbound(1)), StoreClosedError);
    await assert.rejects(stores.sessions.loadAll(), StoreClosedError);
    await assert.rejects(stores.sessions.load(['c']), StoreClosedError);
  });

  if (!options.durable) return;

  it('sessions, outbound and inbound survive close and reopen', async (t) => {
    const harness = await open(t);
    const { sessions } = harness.stores;
    sessions.putSession(fullSession('c1'));
    sessions.putSession(bareSession('c2'));
    sessions.putOutbound('c1', outbound(2, 'pubrel', 8, fullMessage('x')));
    sessions.putOutbound('c1', outbound(1, 'publish', 7));
    sessions.addInboundQoS2('c1', 42);
    await sessions.flush();
    const before = await sessions.loadAll();
    const reopened = await harness.reopen!();
    const sortById = (all: LoadedSession[]) =>
      all.sort((a, b) => a.session.clientId.localeCompare(b.session.clientId));
    assert.deepEqual(sortById(await reopened.sessions.loadAll()), sortById(before));
  });

  it('close commits writes that were never flushed', async (t) => {
    const harness = await open(t);
    harness.stores.sessions.putSession(bareSession('c1'));
    harness.stores.sessions.putOutbound('c1', outbound(1));
    const reopened = await harness.reopen!();
    assert.deepEqual(await seqs(reopened.sessions, 'c1'), [1]);
  });
}
