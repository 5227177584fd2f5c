import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AclAuthorizer } from '../../../src/auth/acl-authorizer.js';
import type { EngineStores, LoadedSession, SessionStore } from '../../../src/broker/store-ports.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { openMemoryStores } from '../../../src/store/memory/index.js';
import {
  connect,
  connected,
  createHarness,
  type Harness,
  ofType,
  payloadsOf,
} from '../../helpers/channel-harness.js';

const persistent5 = {
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 3600 },
} as const;

async function stored(h: Harness, clientId: string): Promise<LoadedSession | undefined> {
  const all = await h.stores!.sessions.loadAll();
  return all.find((s) => s.session.clientId === clientId);
}

/** Memory stores whose session flush() waits until `release()` is called (then never again). */
function gatedStores(): { stores: EngineStores; release: () => void; flushes: () => number } {
  const inner = openMemoryStores();
  let gate: (() => void) | undefined;
  let open = false;
  let flushes = 0;
  const waitGate = (): Promise<void> => {
    flushes++;
    if (open) return Promise.resolve();
    return new Promise((resolve) => {
      gate = resolve;
    });
  };
  // Delegation, not Object.create: the memory stores keep their state in #private fields.
  const s = inner.sessions;
  const sessions: SessionStore = {
    loadAll: () => s.loadAll(),
    load: (clientIds) => s.load(clientIds),
    putSession: (session) => s.putSession(session),
    deleteSession: (clientId) => s.deleteSession(clientId),
    putOutbound: (clientId, outbound) => s.putOutbound(clientId, outbound),
    deleteOutbound: (clientId, seq) => s.deleteOutbound(clientId, seq),
    addInboundQoS2: (clientId, id) => s.addInboundQoS2(clientId, id),
    deleteInboundQoS2: (clientId, id) => s.deleteInboundQoS2(clientId, id),
    flush: waitGate,
    close: () => s.close(),
  };
  const retained = inner.retained;
  return {
    stores: { sessions, retained, close: () => inner.close() },
    release: () => {
      open = true;
      gate?.();
    },
    flushes: () => flushes,
  };
}

describe('persistence through the stores (unit, memory stores)', () => {
  test('[MQTT-4.1.0-1] session state is written through: subscriptions, disconnect time, queue, ack', async (t) => {
    const h = createHarness({ stores: true });
    t.after(() => h.broker.close());
    const sub = await connected(h, { clientId: 'sub', ...persistent5 });
    await sub.subscribe([{ topic: 'p/#', qos: 1, nl: true, rap: true, rh: 1 }], { subscriptionId: 7 });
    let row = await stored(h, 'sub');
    assert.equal(row?.session.expiryInterval, 3600);
    assert.equal(row?.session.disconnectedAt, null, 'connected');
    assert.deepEqual(row?.session.subscriptions, [
      { filter: 'p/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 1, subscriptionId: 7 },
    ]);
    await sub.send({ cmd: 'disconnect' });
    row = await stored(h, 'sub');
    assert.equal(row?.session.disconnectedAt, h.clock.now());

    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('p/1', 'queued', { qos: 1 });
    row = await stored(h, 'sub');
    assert.deepEqual(
      row?.outbound.map((o) => [o.state, o.packetId, o.message.payload.toString(), o.subscriptionIds]),
      [['queued', null, 'queued', [7]]],
    );

    const again = await connected(h, { clientId: 'sub', ...persistent5 });
    const [publish] = again.takePublishes();
    row = await stored(h, 'sub');
    assert.deepEqual(
      row?.outbound.map((o) => [o.state, o.packetId]),
      [['publish', publish?.messageId]],
    );
    await again.send({ cmd: 'puback', messageId: publish!.messageId! });
    row = await stored(h, 'sub');
    assert.deepEqual(row?.outbound, []);
  });

  test('[MQTT-4.3.3-9] inbound QoS 2 ids are stored until PUBREL', async (t) => {
    const h = createHarness({ stores: true });
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub', ...persistent5 });
    await pub.publish('x', 'y', { qos: 2, messageId: 11 });
    assert.deepEqual((await stored(h, 'pub'))?.inboundQoS2, [11]);
    await pub.send({ cmd: 'pubrel', messageId: 11 });
    assert.deepEqual((await stored(h, 'pub'))?.inboundQoS2, []);
  });

  test('[MQTT-3.1.2-11 v5] a session with expiry 0 is never written; ending a session deletes it', async (t) => {
    const h = createHarness({ stores: true });
    t.after(() => h.broker.close());
    const temp = await connected(h, { clientId: 'temp', protocolVersion: 5 });
    await temp.subscribe('a');
    assert.equal(await stored(h, 'temp'), undefined);
    const keep = await connected(h, {
      clientId: 'keep',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 10 },
    });
    await keep.send({ cmd: 'disconnect' });
    assert.notEqual(await stored(h, 'keep'), undefined);
    h.clock.advance(10_000);
    assert.equal(await stored(h, 'keep'), undefined, 'expired session removed from the store');
  });

  test('[MQTT-3.3.1-5/10] retained messages are written to and cleared from the retained store', async (t) => {
    const h = createHarness({ stores: true });
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('ret/a', 'v', { qos: 1, retain: true });
    assert.deepEqual(
      (await h.stores!.retained.loadAll()).map((m) => [m.topic, m.payload.toString()]),
      [['ret/a', 'v']],
    );
    await pub.publish('ret/a', '', { qos: 1, retain: true, messageId: 2 });
    assert.deepEqual(await h.stores!.retained.loadAll(), []);
  });

  test('[architecture: acknowledgement] PUBACK is sent only after the store flush resolves', async (t) => {
    const gated = gatedStores();
    const h = createHarness({ stores: gated.stores });
    t.after(() => h.broker.close());
    const pub = await connected(h, { clientId: 'pub' });
    const handled = pub.send({
      cmd: 'publish',
      topic: 'd',
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 5,
      retain: false,
      dup: false,
    });
    await Promise.resolve();
    assert.equal(gated.flushes(), 1);
    assert.deepEqual(pub.sink.packets, [], 'no PUBACK before the flush');
    gated.release();
    await handled;
    assert.deepEqual(
      pub.take().map((p) => p.cmd),
      ['puback'],
    );
  });

  test('[Broker.start] a new broker restores sessions, queue, subscriptions, pending wills and retained messages', async (t) => {
    const h1 = createHarness({ stores: true });
    const sub = await connected(h1, { clientId: 'sub', ...persistent5 });
    await sub.subscribe([{ topic: 'r/#', qos: 1 }]);
    await sub.send({ cmd: 'disconnect' });
    const pub = await connected(h1, { clientId: 'pub' });
    await pub.publish('r/1', 'before-restart', { qos: 1 });
    const dying = await connected(h1, {
      clientId: 'dying',
      ...persistent5,
      will: {
        topic: 'r/will',
        payload: Buffer.from('late will'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 30 },
      },
    });
    dying.channel.transportClosed();
    assert.equal(
      (await stored(h1, 'dying'))?.session.will?.dueAt,
      h1.clock.now() + 30_000,
      'pending will stored',
    );
    await pub.publish('kept/r', 'retained', { qos: 1, retain: true, messageId: 2 });
    h1.clock.advance(10_000);

    // "Restart": a second broker over the same store objects, the same clock.
    const h2 = createHarness({ stores: h1.stores!, clock: h1.clock });
    t.after(() => h2.broker.close());
    await h2.broker.start();
    assert.equal(h2.broker.sessionCount, 2);
    const { client, connack } = await connect(h2, { clientId: 'sub', ...persistent5 });
    assert.equal(connack?.sessionPresent, true);
    assert.deepEqual(payloadsOf(client.take()), ['before-restart']);
    const pub2 = await connected(h2, { clientId: 'pub2' });
    await pub2.publish('r/2', 'after-restart', { qos: 1 });
    assert.deepEqual(payloadsOf(client.take()), ['after-restart'], 'restored subscription routes');
    h2.clock.advance(20_000);
    assert.deepEqual(payloadsOf(client.take()), ['late will'], 'restored will fires at its due time');
    assert.equal((await stored(h2, 'dying'))?.session.will, undefined, 'published will removed from the row');
    const late = await connected(h2, { clientId: 'late' });
    await late.subscribe('kept/r');
    assert.deepEqual(payloadsOf(late.take()), ['retained'], 'retained messages restored');
  });

  test('[Broker.start + canReceive] routing to a restored, not yet reconnected session works with the ACL authorizer', async (t) => {
    // The mosquitto-style ACL authorizer re-checks every delivery with the session's identity.
    const checking = new AclAuthorizer({
      anonymous: [{ access: 'readwrite', topic: '#' }],
      users: new Map(),
      patterns: [],
    });
    const h1 = createHarness({ stores: true, authorizer: checking });
    const sub = await connected(h1, { clientId: 'sub', ...persistent5 });
    await sub.subscribe('acl/t');
    await sub.send({ cmd: 'disconnect' });
    const h2 = createHarness({ stores: h1.stores!, clock: h1.clock, authorizer: checking });
    t.after(() => h2.broker.close());
    await h2.broker.start();
    const pub = await connected(h2, { clientId: 'pub', protocolVersion: 5 });
    await pub.publish('acl/t', 'x', { qos: 1 });
    const packets = pub.take();
    assert.equal(
      ofType(packets, 'disconnect')[0]?.reasonCode,
      undefined,
      'the publisher is not disconnected',
    );
    assert.deepEqual(
      packets.map((p) => [p.cmd, 'reasonCode' in p ? p.reasonCode : undefined]),
      [['puback', ReasonCode.Success]],
    );
    const { client } = await connect(h2, { clientId: 'sub', ...persistent5 });
    assert.deepEqual(payloadsOf(client.take()), ['x']);
  });
});
