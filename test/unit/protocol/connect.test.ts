import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Authenticator, allowAll } from '../../../src/broker/auth.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { Channel } from '../../../src/mqtt/protocol/channel.js';
import { connect, connected, createHarness, ofType, RecordingSink } from '../../helpers/channel-harness.js';

const refuse: Authenticator = {
  authenticate: () => ({ ok: false, reasonCode: ReasonCode.BadUserNameOrPassword }),
};

describe('CONNECT pipeline (channel unit)', () => {
  test('[MQTT-3.2.2-1 3.1.1] CONNACK: return code 0, session present 0 on a clean session', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const { client, connack } = await connect(h, { clientId: 'c1' });
    assert.deepEqual(
      { cmd: connack?.cmd, returnCode: connack?.returnCode, sessionPresent: connack?.sessionPresent },
      { cmd: 'connack', returnCode: 0, sessionPresent: false },
    );
    assert.equal(connack?.properties, undefined, 'no v5 properties for 3.1.1');
    assert.equal(client.channel.state, 'connected');
    assert.equal(client.sink.connectedCalls, 1, 'connect timer stopped');
    assert.equal(h.metrics.connectionsAccepted, 1);
  });

  test('[§3.2.2.3 v5] CONNACK advertises the server limits truthfully', async (t) => {
    const h = createHarness({ limits: { receiveMaximum: 7, maxPacketSize: 4096, topicAliasMaximum: 3 } });
    t.after(() => h.broker.close());
    const { connack } = await connect(h, { clientId: 'c5', protocolVersion: 5, keepalive: 30 });
    assert.equal(connack?.reasonCode, 0);
    assert.equal(connack?.sessionPresent, false);
    const p = connack?.properties ?? {};
    assert.equal(p.receiveMaximum, 7);
    assert.equal(p.maximumPacketSize, 4096);
    assert.equal(p.topicAliasMaximum, 3);
    assert.equal(p.retainAvailable, true);
    assert.equal(p.sharedSubscriptionAvailable, true);
    assert.equal(p.subscriptionIdentifiersAvailable, true);
    assert.equal(p.wildcardSubscriptionAvailable, true);
    assert.equal(p.assignedClientIdentifier, undefined);
    assert.equal(p.sessionExpiryInterval, undefined, 'granted as requested: not repeated');
    assert.equal(p.serverKeepAlive, undefined, 'a keepalive within --max-keep-alive is used as sent');
  });

  test('[MQTT-3.1.3-6 / §3.2.2.3.7 v5] empty client id: an identifier is assigned and returned', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const { client, connack } = await connect(h, { clientId: '', protocolVersion: 5 });
    const assigned = connack?.properties?.assignedClientIdentifier;
    assert.ok(assigned !== undefined && assigned.length > 0);
    assert.equal(client.channel.clientId, assigned);
  });

  test('[MQTT-3.1.3-8] v4 empty client id with clean session 0 is refused with 0x02', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    // mqtt-packet refuses to encode this CONNECT, so it is handed to the channel directly.
    const { client, connack } = await connect(h, { clientId: '', clean: false }, { direct: true });
    assert.equal(connack?.returnCode, 2);
    assert.ok(client.sink.ended);
  });

  test('[MQTT-3.2.2-2/3] session present: 1 when a stored session is resumed, 0 after clean start', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const first = await connected(h, { clientId: 'p', clean: false });
    await first.send({ cmd: 'disconnect' });
    const resumed = await connect(h, { clientId: 'p', clean: false });
    assert.equal(resumed.connack?.sessionPresent, true);
    await resumed.client.send({ cmd: 'disconnect' });
    const clean = await connect(h, { clientId: 'p', clean: true });
    assert.equal(clean.connack?.sessionPresent, false, '[MQTT-3.2.2-1] clean start means present 0');
  });

  test('[§3.2.2.3.2 v5] Session Expiry above the maximum is granted as the maximum in CONNACK', async (t) => {
    const h = createHarness({ limits: { maxSessionExpiryInterval: 60 } });
    t.after(() => h.broker.close());
    const { client, connack } = await connect(h, {
      clientId: 'e',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    });
    assert.equal(connack?.properties?.sessionExpiryInterval, 60);
    assert.equal(client.channel.session?.expiryInterval, 60);
  });

  test('[MQTT-3.2.2-21/22 v5] Server Keep Alive replaces keepalive 0 when a maximum is configured', async (t) => {
    const h = createHarness({ limits: { maxKeepAlive: 30 } });
    t.after(() => h.broker.close());
    const { client, connack } = await connect(h, { clientId: 'k', protocolVersion: 5, keepalive: 0 });
    assert.equal(connack?.properties?.serverKeepAlive, 30);
    assert.deepEqual(client.sink.keepalives, [45_000]);
  });

  test('[MQTT-3.1.2-24] keepalive: setKeepalive is called with 1.5 x keepalive in ms', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const v4 = await connected(h, { clientId: 'k4', keepalive: 10 });
    assert.deepEqual(v4.sink.keepalives, [15_000]);
    const none = await connected(h, { clientId: 'k0', keepalive: 0 });
    assert.deepEqual(none.sink.keepalives, [0], 'keepalive 0 = no timeout');
  });

  for (const [version, expected] of [
    [5, ReasonCode.BadUserNameOrPassword],
    [4, 4],
  ] as const) {
    test(`[MQTT-3.2.2-6/7] v${version}: authenticator refusal → CONNACK ${expected}, sink ended, no session`, async (t) => {
      const h = createHarness({ authenticator: refuse });
      t.after(() => h.broker.close());
      const { client, connack } = await connect(h, { clientId: 'bad', protocolVersion: version });
      assert.equal(version === 5 ? connack?.reasonCode : connack?.returnCode, expected);
      assert.equal(connack?.sessionPresent, false, '[MQTT-3.2.2-6] present 0 with a refusal');
      assert.equal(client.sink.endCalls, 1);
      assert.equal(client.sink.connectedCalls, 0);
      assert.deepEqual(client.take(), [], 'nothing after the CONNACK');
      assert.equal(client.channel.state, 'closed');
      assert.equal(h.broker.sessionCount, 0);
      assert.equal(h.metrics.connectionsRejected, 1);
    });
  }

  test('[MQTT-4.12.0-1] v5 Authentication Method (unsupported) → CONNACK 0x8C and close', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const { client, connack } = await connect(h, {
      clientId: 'sasl',
      protocolVersion: 5,
      properties: { authenticationMethod: 'SCRAM-SHA-1' },
    });
    assert.equal(connack?.reasonCode, ReasonCode.BadAuthenticationMethod);
    assert.ok(client.sink.ended);
    assert.equal(h.broker.sessionCount, 0);
  });

  test('[§3.1.4 / architecture: CONNECT pipeline] the CONNACK waits for an asynchronous authenticator', async (t) => {
    let release: (() => void) | undefined;
    const slow: Authenticator = {
      authenticate: (request) =>
        new Promise((resolve) => {
          release = () => resolve(allowAll.authenticate(request));
        }),
    };
    const h = createHarness({ authenticator: slow });
    t.after(() => h.broker.close());
    const pending = connect(h, { clientId: 'slow' });
    await Promise.resolve();
    assert.ok(release !== undefined);
    assert.equal(h.broker.sessionCount, 0, 'no session before the authenticator answers');
    release();
    const { connack } = await pending;
    assert.equal(connack?.returnCode, 0);
  });

  test('[MQTT-3.1.0-1] a first packet other than CONNECT closes without an answer', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const sink = new RecordingSink(4);
    const fresh = new Channel(h.broker, sink, { transport: 'tcp' });
    fresh.handle({ cmd: 'pingreq' });
    assert.equal(sink.endCalls, 1);
    assert.deepEqual(sink.packets, []);
    assert.equal(fresh.state, 'closed');
  });

  test('[MQTT-3.1.0-2] a second CONNECT is a protocol error: v5 DISCONNECT 0x82', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const client = await connected(h, { clientId: 'twice', protocolVersion: 5 });
    await client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'twice',
      clean: true,
      keepalive: 0,
    });
    const [disconnect] = ofType(client.take(), 'disconnect');
    assert.equal(disconnect?.reasonCode, ReasonCode.ProtocolError);
    assert.ok(client.sink.ended);
  });

  test('[§3.1.2.11.3 v5] Receive Maximum 0 in CONNECT is a protocol error (CONNACK 0x82)', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const { client, connack } = await connect(
      h,
      { clientId: 'rm0', protocolVersion: 5, properties: { receiveMaximum: 0 } },
      { direct: true },
    );
    assert.equal(connack?.reasonCode, ReasonCode.ProtocolError);
    assert.ok(client.sink.ended);
  });

  test('[MQTT-3.12.4-1] PINGREQ is answered with PINGRESP', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const client = await connected(h, { clientId: 'ping' });
    await client.send({ cmd: 'pingreq' });
    assert.deepEqual(
      client.take().map((p) => p.cmd),
      ['pingresp'],
    );
  });
});
