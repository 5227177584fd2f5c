import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { restartServer, startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { quietPeriod } from '../helpers/wait.js';

const versions = [4, 5] as const;
const persistent = { persistence: true } as const;

function keep(protocolVersion: 4 | 5, clientId: string): IClientOptions {
  return protocolVersion === 5
    ? { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 3600 } }
    : { protocolVersion, clientId, clean: false };
}

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;

  test(`persistence ${v}: sessions and subscriptions survive a restart [MQTT-3.1.2-5]`, async (t) => {
    const first = await startServer(t, persistent);
    const clientId = uniqueId('p-sess');
    const c = await connectClient(t, first.port, keep(protocolVersion, clientId));
    await c.client.subscribeAsync('p/sess/#', { qos: 1 });
    await c.client.endAsync();
    const second = await restartServer(first);
    const back = await connectClient(t, second.port, keep(protocolVersion, clientId));
    assert.equal(back.connack.sessionPresent, true);
    const pub = await connectClient(t, second.port, { protocolVersion });
    await pub.client.publishAsync('p/sess/a', 'after restart', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, back)), ['after restart']);
  });

  test(`persistence ${v}: queued QoS 1/2 messages survive a restart`, async (t) => {
    const first = await startServer(t, persistent);
    const clientId = uniqueId('p-queue');
    const c = await connectClient(t, first.port, keep(protocolVersion, clientId));
    await c.client.subscribeAsync('p/queue', { qos: 2 });
    await c.client.endAsync();
    const pub = await connectClient(t, first.port, { protocolVersion });
    await pub.client.publishAsync('p/queue', 'one', { qos: 1 });
    await pub.client.publishAsync('p/queue', 'two', { qos: 2 });
    await pub.client.publishAsync('p/queue', 'three', { qos: 1 });
    const second = await restartServer(first);
    const back = await connectClient(t, second.port, keep(protocolVersion, clientId));
    const got = await back.inbox.take(3);
    assert.deepEqual(payloads(got.filter((m) => m.packet.qos === 1)), ['one', 'three']);
    assert.deepEqual(payloads(got.filter((m) => m.packet.qos === 2)), ['two']);
  });

  test(`persistence ${v}: an in-flight message is resent with DUP and its id after a restart [MQTT-4.4.0-1]`, async (t) => {
    const first = await startServer(t, persistent);
    const clientId = uniqueId('p-inflight');
    const connect = keep(protocolVersion, clientId) as Record<string, unknown>;
    const { raw } = await RawClient.connected(t, first.port, connect);
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'p/inflight', qos: 1 }] });
    await raw.expect('suback');
    const pub = await connectClient(t, first.port, { protocolVersion });
    await pub.client.publishAsync('p/inflight', 'unacked', { qos: 1 });
    const sent = await raw.expect('publish');
    raw.destroy();
    await raw.closed;
    const second = await restartServer(first);
    const again = await RawClient.connected(t, second.port, connect);
    assert.equal(again.connack.sessionPresent, true);
    const resent = await again.raw.expect('publish');
    assert.equal(resent.messageId, sent.messageId);
    assert.equal(resent.dup, true);
    assert.equal(resent.payload.toString(), 'unacked');
  });

  test(`persistence ${v}: an inbound QoS 2 exchange completes after a restart, delivered once [MQTT-4.3.3-10]`, async (t) => {
    const first = await startServer(t, persistent);
    const subId = uniqueId('p-q2sub');
    const sub = await connectClient(t, first.port, keep(protocolVersion, subId));
    await sub.client.subscribeAsync('p/q2', { qos: 2 });
    await sub.client.endAsync();
    const pubId = uniqueId('p-q2pub');
    const connect = keep(protocolVersion, pubId) as Record<string, unknown>;
    const { raw } = await RawClient.connected(t, first.port, connect);
    const publish = {
      cmd: 'publish',
      topic: 'p/q2',
      qos: 2,
      messageId: 9,
      payload: 'once',
      retain: false,
    } as const;
    raw.send({ ...publish, dup: false });
    await raw.expect('pubrec');
    raw.destroy();
    await raw.closed;
    const second = await restartServer(first);
    const again = await RawClient.connected(t, second.port, connect);
    again.raw.send({ ...publish, dup: true });
    await again.raw.expect('pubrec');
    again.raw.send({ cmd: 'pubrel', messageId: 9 });
    const pubcomp = await again.raw.expect('pubcomp');
    assert.equal(pubcomp.reasonCode ?? 0, 0, 'the packet id was remembered across the restart');
    const back = await connectClient(t, second.port, keep(protocolVersion, subId));
    const pub = await connectClient(t, second.port, { protocolVersion });
    assert.deepEqual(payloads((await untilMarker(pub.client, back)).filter((m) => m.topic === 'p/q2')), [
      'once',
    ]);
  });

  test(`persistence ${v}: retained messages (and their removal) survive a restart`, async (t) => {
    const first = await startServer(t, persistent);
    const pub = await connectClient(t, first.port, { protocolVersion });
    await pub.client.publishAsync('p/ret/kept', 'kept', { qos: 1, retain: true });
    await pub.client.publishAsync('p/ret/cleared', 'soon gone', { qos: 1, retain: true });
    await pub.client.publishAsync('p/ret/cleared', '', { qos: 1, retain: true });
    const second = await restartServer(first);
    const sub = await connectClient(t, second.port, { protocolVersion });
    await sub.client.subscribeAsync('p/ret/+', { qos: 1 });
    const pub2 = await connectClient(t, second.port, { protocolVersion });
    const got = await untilMarker(pub2.client, sub);
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.toString(), m.packet.retain]),
      [['p/ret/kept', 'kept', true]],
    );
  });
}

test('persistence v5: session expiry keeps counting across a restart [MQTT-4.1.0-2]', async (t) => {
  const first = await startServer(t, persistent);
  const clientId = uniqueId('p-exp');
  const options = {
    protocolVersion: 5 as const,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 1 },
  };
  const c = await connectClient(t, first.port, options);
  await c.client.subscribeAsync('p/exp', { qos: 1 });
  await c.client.endAsync();
  const second = await restartServer(first);
  await quietPeriod(1500);
  const back = await connectClient(t, second.port, options);
  assert.equal(back.connack.sessionPresent, false, 'expired while the server was down or after');
});

test('persistence v5: clean sessions are not restored after a restart', async (t) => {
  const first = await startServer(t, persistent);
  const clientId = uniqueId('p-clean');
  const c = await connectClient(t, first.port, { protocolVersion: 5, clientId });
  await c.client.subscribeAsync('p/clean', { qos: 1 });
  const second = await restartServer(first);
  const back = await connectClient(t, second.port, { protocolVersion: 5, clientId, clean: false });
  assert.equal(back.connack.sessionPresent, false);
});
