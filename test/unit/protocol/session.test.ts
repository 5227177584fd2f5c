import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, ofType, payloadsOf } from '../../helpers/channel-harness.js';

const persistent5 = {
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: 3600 },
} as const;

describe('sessions and takeover (unit)', () => {
  test('[MQTT-3.1.4-3] takeover: the old sink gets DISCONNECT 0x8E and end; the new one session present', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const old = await connected(h, { clientId: 'same', ...persistent5 });
    await old.subscribe('s/t');
    const { client: fresh, connack } = await connect(h, { clientId: 'same', ...persistent5 });
    assert.equal(connack?.sessionPresent, true);
    assert.deepEqual(
      old.take().map((p) => [p.cmd, 'reasonCode' in p ? p.reasonCode : undefined]),
      [['disconnect', ReasonCode.SessionTakenOver]],
    );
    assert.equal(old.sink.endCalls, 1);
    assert.equal(old.channel.state, 'closed');
    assert.equal(h.broker.sessionCount, 1);
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('s/t', 'to-new', { qos: 1 });
    assert.deepEqual(payloadsOf(fresh.take()), ['to-new'], 'subscriptions moved to the new connection');
    assert.deepEqual(old.take(), []);
  });

  test('[MQTT-3.1.4-3] 3.1.1 takeover closes the old connection without a DISCONNECT', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const old = await connected(h, { clientId: 'same4', clean: false });
    const { connack } = await connect(h, { clientId: 'same4', clean: false });
    assert.equal(connack?.sessionPresent, true);
    assert.deepEqual(old.take(), []);
    assert.equal(old.sink.endCalls, 1);
  });

  test('[MQTT-3.1.4-3] the old channel closing later does not detach the new connection', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const old = await connected(h, { clientId: 'same', ...persistent5 });
    const fresh = await connected(h, { clientId: 'same', ...persistent5 });
    await fresh.subscribe('late');
    old.channel.transportClosed(); // the shell reports the socket close after the takeover
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('late', 'still-here');
    assert.deepEqual(payloadsOf(fresh.take()), ['still-here']);
  });

  test('[MQTT-3.1.2-4] clean start discards the previous session: subscriptions and queued messages', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const first = await connected(h, { clientId: 'c', ...persistent5 });
    await first.subscribe('gone');
    await first.send({ cmd: 'disconnect' });
    const pub = await connected(h, { clientId: 'pub' });
    await pub.publish('gone', 'queued', { qos: 1 });
    const { client, connack } = await connect(h, { clientId: 'c', protocolVersion: 5, clean: true });
    assert.equal(connack?.sessionPresent, false);
    assert.deepEqual(client.take(), []);
    await pub.publish('gone', 'after', { qos: 1 });
    assert.deepEqual(client.take(), []);
  });

  test('[MQTT-3.1.4-4 / §3.1.2.11.2 v5] takeover of a session with expiry 0: the new connection (clean start 0) gets no session', async (t) => {
    // The old connection's session lasts only as long as its network connection; the takeover
    // closes that connection, so there is no session state left to resume.
    const h = createHarness();
    t.after(() => h.broker.close());
    const old = await connected(h, { clientId: 'tmp', protocolVersion: 5, clean: true });
    await old.subscribe('tmp/t');
    const { client, connack } = await connect(h, { clientId: 'tmp', ...persistent5 });
    assert.equal(connack?.sessionPresent, false, 'no session state to resume');
    assert.equal(client.channel.session?.subscriptions.size, 0, 'old subscriptions not inherited');
  });

  test('[MQTT-3.1.2-6 3.1.1] takeover of a clean-session connection by cleanSession 0 starts fresh', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const old = await connected(h, { clientId: 'tmp4', clean: true });
    await old.subscribe('tmp/t');
    const { connack } = await connect(h, { clientId: 'tmp4', clean: false });
    assert.equal(connack?.sessionPresent, false);
  });

  test('[MQTT-3.10.4-5 / 3.11.3-1] UNSUBSCRIBE: v5 codes 0x00 / 0x11, 3.1.1 empty UNSUBACK', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const v5 = await connected(h, { clientId: 'u5', protocolVersion: 5 });
    await v5.subscribe('a');
    await v5.send({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a', 'b'] });
    const [ack] = ofType(v5.take(), 'unsuback');
    assert.deepEqual(ack?.granted, [ReasonCode.Success, ReasonCode.NoSubscriptionExisted]);
    const v4 = await connected(h, { clientId: 'u4' });
    await v4.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: ['a'] });
    assert.deepEqual(
      v4.take().map((p) => [p.cmd, 'messageId' in p ? p.messageId : undefined]),
      [['unsuback', 5]],
    );
  });
});
