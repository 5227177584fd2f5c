import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, type Received, unsubscribePacket } from '../helpers/mqtt-client.js';
import { subscribeBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

const v5 = { protocolVersion: 5 } as const;

function byTopic(messages: readonly Received[]): Array<[string, number, boolean]> {
  return messages
    .map((m): [string, number, boolean] => [m.topic, m.packet.qos, m.packet.retain])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

test('v5 [MQTT-3.8.3-3] No Local: a client does not receive its own publications', async (t) => {
  const srv = await startServer(t);
  const a = await connectClient(t, srv.port, v5);
  const b = await connectClient(t, srv.port, v5);
  await a.client.subscribeAsync('nolocal/t', { qos: 2, nl: true });
  await b.client.subscribeAsync('nolocal/t', { qos: 2, nl: true });
  await a.client.publishAsync('nolocal/t', 'from a', { qos: 1 });
  assert.deepEqual(payloads(await untilMarker(a.client, b)), ['from a'], 'others still receive it');
  assert.deepEqual(payloads(await untilMarker(b.client, a)), [], 'the publisher does not');
});

test('v5 [MQTT-3.3.1-12/13] Retain As Published keeps the RETAIN flag; without it the flag is 0', async (t) => {
  const srv = await startServer(t);
  const rap = await connectClient(t, srv.port, v5);
  const plain = await connectClient(t, srv.port, v5);
  await rap.client.subscribeAsync('rap/t', { qos: 1, rap: true });
  await plain.client.subscribeAsync('rap/t', { qos: 1, rap: false });
  await rap.client.publishAsync('rap/t', 'retain false', { qos: 1, retain: false });
  await rap.client.publishAsync('rap/t', 'retain true', { qos: 1, retain: true });
  const withRap = await rap.inbox.take(2);
  assert.deepEqual(
    withRap.map((m) => [m.payload.toString(), m.packet.retain]),
    [
      ['retain false', false],
      ['retain true', true],
    ],
  );
  const withoutRap = await plain.inbox.take(2);
  assert.deepEqual(
    withoutRap.map((m) => m.packet.retain),
    [false, false],
  );
});

test('v5 [MQTT-3.3.1-9/10/11] Retain Handling 0, 1 and 2', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.publishAsync('rh/a', 'qos 0', { qos: 0, retain: true });
  await c.client.publishAsync('rh/b', 'qos 1', { qos: 1, retain: true });
  await c.client.publishAsync('rh/c', 'qos 2', { qos: 2, retain: true });
  const all: Array<[string, number, boolean]> = [
    ['rh/a', 0, true],
    ['rh/b', 1, true],
    ['rh/c', 2, true],
  ];

  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 1 });
  assert.deepEqual(byTopic(await c.inbox.take(3)), all, 'rh 1, new subscription: retained sent');
  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 1 });
  assert.deepEqual(await untilMarker(c.client, c), [], 'rh 1, existing subscription: nothing sent');

  await unsubscribePacket(c.client, 'rh/+', { userProperties: { a: '2', c: '3' } });
  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 1 });
  assert.deepEqual(byTopic(await c.inbox.take(3)), all, 'unsubscribed, so new again');
  await unsubscribePacket(c.client, 'rh/+');

  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 2 });
  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 2 });
  assert.deepEqual(await untilMarker(c.client, c), [], 'rh 2: never sent');
  await unsubscribePacket(c.client, 'rh/+');

  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 0 });
  assert.deepEqual(byTopic(await c.inbox.take(3)), all, 'rh 0: sent on subscribe');
  await c.client.subscribeAsync('rh/+', { qos: 2, rh: 0 });
  assert.deepEqual(byTopic(await c.inbox.take(3)), all, '[MQTT-3.8.4-4] rh 0: sent again on re-subscribe');
});

test('v5 [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, v5);
  raw.sendRaw(subscribeBytes(5, 1, [['$share/g/nl', 0x04 | 1]]));
  const closed = await raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x82, 'DISCONNECT 0x82 before closing');
});
