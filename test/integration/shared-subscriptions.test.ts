import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Connected, connectClient, unsubscribePacket } from '../helpers/mqtt-client.js';
import { subscribeBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

const v5 = { protocolVersion: 5 } as const;

/** Messages on `topic` that `member` got before the marker. */
async function gotOn(publisher: Connected, member: Connected, topic: string): Promise<string[]> {
  return payloads((await untilMarker(publisher.client, member)).filter((m) => m.topic === topic));
}

test('v5 [MQTT-4.8.2] each message on a shared subscription goes to exactly one member', async (t) => {
  const srv = await startServer(t);
  const a = await connectClient(t, srv.port, v5);
  const b = await connectClient(t, srv.port, v5);
  await a.client.subscribeAsync({ '$share/grp/shared/x': { qos: 2 }, 'shared/plain': { qos: 2 } });
  await b.client.subscribeAsync({ '$share/grp/shared/x': { qos: 2 }, 'shared/plain': { qos: 2 } });
  await b.client.publishAsync('shared/plain', 'everyone', { qos: 0 });
  const sends = Array.from({ length: 20 }, (_, i) =>
    b.client.publishAsync('shared/x', String(i), { qos: 1 }),
  );
  await Promise.all(sends);
  const gotA = await gotOn(b, a, 'shared/x');
  const gotB = await gotOn(b, b, 'shared/x');
  assert.deepEqual(
    [...gotA, ...gotB].map(Number).sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => i),
    'every message exactly once across the group',
  );
  assert.ok(gotA.length > 0 && gotB.length > 0, `both members served (a: ${gotA.length}, b: ${gotB.length})`);
  assert.deepEqual(
    a.inbox.all.filter((m) => m.topic === 'shared/plain').map((m) => m.payload.toString()),
    ['everyone'],
    'non-shared subscriptions still get every message',
  );
});

test('v5 [MQTT-4.8.2] different share groups each receive every message', async (t) => {
  const srv = await startServer(t);
  const g1a = await connectClient(t, srv.port, v5);
  const g1b = await connectClient(t, srv.port, v5);
  const g2 = await connectClient(t, srv.port, v5);
  await g1a.client.subscribeAsync('$share/g1/groups/+', { qos: 1 });
  await g1b.client.subscribeAsync('$share/g1/groups/+', { qos: 1 });
  await g2.client.subscribeAsync('$share/g2/groups/+', { qos: 1 });
  for (let i = 0; i < 6; i += 1) await g1a.client.publishAsync('groups/t', String(i), { qos: 1 });
  const one = [...(await gotOn(g1a, g1a, 'groups/t')), ...(await gotOn(g1a, g1b, 'groups/t'))];
  assert.equal(one.length, 6, 'group g1 gets each message once');
  assert.deepEqual(await gotOn(g1a, g2, 'groups/t'), ['0', '1', '2', '3', '4', '5'], 'group g2 gets all');
});

test('v5 [§4.8.2] retained messages are not sent when subscribing to a shared subscription', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.publishAsync('sharedret/t', 'retained', { qos: 1, retain: true });
  await c.client.subscribeAsync('$share/g/sharedret/t', { qos: 1 });
  assert.deepEqual(await gotOn(c, c, 'sharedret/t'), []);
});

test('v5 [MQTT-4.8.2-3] a member receives at most its granted QoS', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, v5);
  await c.client.subscribeAsync('$share/g/sharedqos/t', { qos: 0 });
  await c.client.publishAsync('sharedqos/t', 'q2', { qos: 2 });
  const got = (await untilMarker(c.client, c)).filter((m) => m.topic === 'sharedqos/t');
  assert.deepEqual(
    got.map((m) => m.packet.qos),
    [0],
  );
});

test('v5 [MQTT-4.8.2] when a member leaves, the remaining members get every message', async (t) => {
  const srv = await startServer(t);
  const stay = await connectClient(t, srv.port, v5);
  const leave = await connectClient(t, srv.port, v5);
  await stay.client.subscribeAsync('$share/g/leave/t', { qos: 1 });
  await leave.client.subscribeAsync('$share/g/leave/t', { qos: 1 });
  const unsuback = await unsubscribePacket(leave.client, '$share/g/leave/t');
  assert.deepEqual(unsuback.granted, [0]);
  await leave.client.endAsync();
  for (let i = 0; i < 4; i += 1) await stay.client.publishAsync('leave/t', String(i), { qos: 1 });
  assert.deepEqual(await gotOn(stay, stay, 'leave/t'), ['0', '1', '2', '3']);
});

test('v5 [MQTT-4.8.2-1/2] malformed shared subscription filters are refused', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, v5);
  const bad = ['$share/g', '$share//t', '$share/g+/t', '$share/g#/t', '$share/g/'];
  raw.sendRaw(subscribeBytes(5, 3, [...bad.map((f) => [f, 0] as const), ['$share/g/wild/#', 1]]));
  const codes = (await raw.expect('suback')).granted as number[];
  for (const [i, filter] of bad.entries()) {
    const code = codes[i] ?? -1;
    assert.ok(code >= 0x80, `${filter} refused (got 0x${code.toString(16)})`);
  }
  assert.equal(codes[bad.length], 1, 'wildcards inside the shared filter are fine');
});
