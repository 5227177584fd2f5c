import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';
import { quietPeriod } from '../helpers/wait.js';

const versions = [4, 5] as const;

/** Connects with `options`, subscribes to `topic` and disconnects (leaving a session, or not). */
async function subscribeAndLeave(
  t: TestContext,
  port: number,
  options: IClientOptions,
  topic: string,
  qos: 0 | 1 | 2 = 1,
): Promise<void> {
  const first = await connectClient(t, port, options);
  await first.client.subscribeAsync(topic, { qos });
  await first.client.endAsync();
}

/** v5 options for a session that expires 1 s after its connection ends. */
function expiringInOneSecond(clientId: string) {
  return { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 1 } };
}

/** Options for a session that outlives its connection (v5: expiry 60 s). */
function keep(protocolVersion: 4 | 5, clientId: string, extra: IClientOptions = {}): IClientOptions {
  return protocolVersion === 5
    ? { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 60 }, ...extra }
    : { protocolVersion, clientId, clean: false, ...extra };
}

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;

  test(`[MQTT-3.2.2-3] ${v}: Session Present is 0 without stored state and 1 when resuming`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('sp');
    const first = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    assert.equal(first.connack.sessionPresent, false, 'no session yet');
    await first.client.subscribeAsync('sp/t', { qos: 1 });
    await first.client.endAsync();
    const second = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    assert.equal(second.connack.sessionPresent, true, 'stored session resumed');
  });

  test(`[MQTT-3.2.2-2] ${v}: clean start 1 discards a stored session (Session Present 0, no subscriptions)`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('clean');
    await subscribeAndLeave(t, srv.port, keep(protocolVersion, clientId), 'clean/t');
    const second = await connectClient(t, srv.port, { protocolVersion, clientId, clean: true });
    assert.equal(second.connack.sessionPresent, false);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('clean/t', 'old subscription', { qos: 1 });
    assert.deepEqual(await untilMarker(pub.client, second), [], '[MQTT-3.1.2-4] old subscription is gone');
  });

  test(`[MQTT-3.1.2-5] ${v}: subscriptions of a resumed session keep delivering`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('resume');
    await subscribeAndLeave(t, srv.port, keep(protocolVersion, clientId), 'resume/#');
    const second = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('resume/a', 'hello again', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, second)), ['hello again']);
  });

  test(`[MQTT-3.1.2-5] ${v}: QoS 1 and 2 messages are queued while offline and delivered on resume`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('offline');
    await subscribeAndLeave(t, srv.port, keep(protocolVersion, clientId), 'offline/+', 2);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('offline/a', 'qos 1', { qos: 1 });
    await pub.client.publishAsync('offline/b', 'qos 2', { qos: 2 });
    await pub.client.publishAsync('offline/a', 'qos 1 again', { qos: 1 });
    const second = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    assert.equal(second.connack.sessionPresent, true);
    // mqtt.js surfaces QoS 2 only after PUBREL, so compare per QoS: order holds per topic and QoS [MQTT-4.6.0-5].
    const got = await second.inbox.take(3);
    assert.deepEqual(
      got.filter((m) => m.packet.qos === 1).map((m) => m.payload.toString()),
      ['qos 1', 'qos 1 again'],
    );
    assert.deepEqual(
      got.filter((m) => m.packet.qos === 2).map((m) => m.payload.toString()),
      ['qos 2'],
    );
  });

  test(`[MQTT-3.1.2-5] ${v}: QoS 0 messages are not queued for an offline session (devgate choice)`, async (t) => {
    const srv = await startServer(t);
    const clientId = uniqueId('offline0');
    await subscribeAndLeave(t, srv.port, keep(protocolVersion, clientId), 'offline0/t', 2);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('offline0/t', 'qos 0 while away', { qos: 0 });
    await pub.client.publishAsync('offline0/t', 'qos 1 while away', { qos: 1 });
    const second = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    assert.deepEqual(payloads(await untilMarker(pub.client, second)), ['qos 1 while away']);
  });

  test(`maxQueuedMessages ${v}: an offline queue keeps the oldest N, drops the rest and counts them`, async (t) => {
    const srv = await startServer(t, { limits: { maxQueuedMessages: 5 } });
    const clientId = uniqueId('qlimit');
    await subscribeAndLeave(t, srv.port, keep(protocolVersion, clientId), 'qlimit/t');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    for (let i = 0; i < 8; i += 1) await pub.client.publishAsync('qlimit/t', `m${i}`, { qos: 1 });
    const second = await connectClient(t, srv.port, keep(protocolVersion, clientId));
    assert.deepEqual(payloads(await untilMarker(pub.client, second)), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(srv.metrics.droppedQueueFull, 3, 'three dropped and counted');
  });

  test(`maxInflightOutgoing + maxQueuedMessages ${v}: a slow online consumer loses only the overflow`, async (t) => {
    const srv = await startServer(t, { limits: { maxInflightOutgoing: 2, maxQueuedMessages: 3 } });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'slow/t', qos: 1 }] });
    await raw.expect('suback');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    for (let i = 0; i < 8; i += 1) await pub.client.publishAsync('slow/t', `m${i}`, { qos: 1 });
    const received: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const p = await raw.expect('publish');
      received.push(p.payload.toString());
      raw.send({ cmd: 'puback', messageId: p.messageId });
    }
    assert.deepEqual(received, ['m0', 'm1', 'm2', 'm3', 'm4'], '2 in flight + 3 queued');
    await raw.expectOpenAndQuiet(300);
    assert.equal(srv.metrics.droppedQueueFull, 3);
  });
}

test('v3.1.1 [MQTT-3.1.2-6]: a clean session ends with its connection', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('v4clean');
  await subscribeAndLeave(t, srv.port, { protocolVersion: 4, clientId, clean: true }, 'v4clean/t');
  const second = await connectClient(t, srv.port, { protocolVersion: 4, clientId, clean: false });
  assert.equal(second.connack.sessionPresent, false);
});

test('v5 [MQTT-3.1.2-23]: Session Expiry Interval 0 (absent) ends the session at disconnect', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('exp0');
  await subscribeAndLeave(t, srv.port, { protocolVersion: 5, clientId, clean: false }, 'exp0/t');
  const second = await connectClient(t, srv.port, { protocolVersion: 5, clientId, clean: false });
  assert.equal(second.connack.sessionPresent, false);
});

test('v5 [MQTT-4.1.0-2]: a session is kept until its expiry interval passes, then discarded', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('exp1');
  const options = expiringInOneSecond(clientId);
  await subscribeAndLeave(t, srv.port, options, 'exp1/t');
  const soon = await connectClient(t, srv.port, options);
  assert.equal(soon.connack.sessionPresent, true, 'still there right away');
  await soon.client.endAsync();
  await quietPeriod(1600);
  const late = await connectClient(t, srv.port, options);
  assert.equal(late.connack.sessionPresent, false, 'gone after 1 s + margin');
});

test('v5 [MQTT-3.14.2 Session Expiry Interval]: DISCONNECT can change a non-zero expiry (to 0: ends now)', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('discexp');
  const options = expiringInOneSecond(clientId);
  const first = await connectClient(t, srv.port, options);
  await first.client.subscribeAsync('discexp/t', { qos: 1 });
  await first.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
  await quietPeriod(1300);
  const second = await connectClient(t, srv.port, options);
  assert.equal(
    second.connack.sessionPresent,
    true,
    'raised to 60 s at DISCONNECT, still present after 1.3 s',
  );
  await second.client.endAsync({ reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
  const third = await connectClient(t, srv.port, options);
  assert.equal(third.connack.sessionPresent, false, 'lowered to 0 at DISCONNECT: gone at once');
});

test('v5 [MQTT-3.14.2 Session Expiry Interval]: DISCONNECT raising expiry from 0 is a protocol error (0x82)', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('raise');
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5, clientId, clean: false });
  raw.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
  const closed = await raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x82, 'server answers with DISCONNECT 0x82 before closing');
  const again = await connectClient(t, srv.port, { protocolVersion: 5, clientId, clean: false });
  assert.equal(again.connack.sessionPresent, false, 'the expiry stayed 0');
});

test('v5 [MQTT-3.1.2-8]: a will is published when DISCONNECT is a protocol error (expiry raised from 0)', async (t) => {
  const srv = await startServer(t);
  const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
  await watcher.client.subscribeAsync('raise/will', { qos: 1 });
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    will: { topic: 'raise/will', payload: Buffer.from('bad disconnect'), qos: 1, retain: false },
  });
  raw.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
  await raw.expectClosed();
  assert.equal((await watcher.inbox.next()).payload.toString(), 'bad disconnect');
});

test('v5 Clean Start 1 with an existing session starts empty even with a non-zero expiry', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('cs1');
  const opts = { protocolVersion: 5 as const, clientId, properties: { sessionExpiryInterval: 60 } };
  await subscribeAndLeave(t, srv.port, { ...opts, clean: false }, 'cs1/t');
  const second = await connectClient(t, srv.port, { ...opts, clean: true });
  assert.equal(second.connack.sessionPresent, false);
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await pub.client.publishAsync('cs1/t', 'x', { qos: 1 });
  assert.deepEqual(await untilMarker(pub.client, second), []);
});

test('[MQTT-4.6.0-5] v5: queued messages are delivered before messages published after the resume', async (t) => {
  const srv = await startServer(t);
  const clientId = uniqueId('order');
  await subscribeAndLeave(t, srv.port, keep(5, clientId), 'order/t');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  for (let i = 0; i < 5; i += 1) await pub.client.publishAsync('order/t', `queued ${i}`, { qos: 1 });
  const back = await connectClient(t, srv.port, keep(5, clientId));
  for (let i = 0; i < 3; i += 1) await pub.client.publishAsync('order/t', `live ${i}`, { qos: 1 });
  assert.deepEqual(payloads(await back.inbox.take(8)), [
    'queued 0',
    'queued 1',
    'queued 2',
    'queued 3',
    'queued 4',
    'live 0',
    'live 1',
    'live 2',
  ]);
});
