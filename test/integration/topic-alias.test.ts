import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IPublishPacket } from 'mqtt-packet';
import { connectClient } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, topics, untilMarker } from '../helpers/sync.js';

const base = { cmd: 'publish', dup: false, retain: false } as const;

function aliased(
  topic: string,
  alias: number | undefined,
  payload: string,
  messageId: number,
): IPublishPacket {
  return {
    ...base,
    topic,
    qos: 1,
    messageId,
    payload,
    ...(alias === undefined ? {} : { properties: { topicAlias: alias } }),
  };
}

test('v5 [MQTT-3.3.2-12] the server maps inbound topic aliases (set, use, remap)', async (t) => {
  const srv = await startServer(t, { limits: { topicAliasMaximum: 5 } });
  const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await sub.client.subscribeAsync('ta/+', { qos: 1 });
  const { raw, connack } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  assert.equal(connack.properties?.topicAliasMaximum, 5);
  const steps: Array<[string, number, string]> = [
    ['ta/one', 1, 'a'],
    ['', 1, 'b'],
    ['ta/two', 1, 'c'],
    ['', 1, 'd'],
    ['ta/three', 5, 'e'],
    ['', 5, 'f'],
  ];
  for (const [i, [topic, alias, payload]] of steps.entries()) {
    raw.send(aliased(topic, alias, payload, i + 1));
    assert.ok(((await raw.expect('puback')).reasonCode ?? 0) < 0x80);
  }
  const got = await sub.inbox.take(6);
  assert.deepEqual(
    got.map((m) => [m.topic, m.payload.toString()]),
    [
      ['ta/one', 'a'],
      ['ta/one', 'b'],
      ['ta/two', 'c'],
      ['ta/two', 'd'],
      ['ta/three', 'e'],
      ['ta/three', 'f'],
    ],
  );
  assert.ok(
    got.every((m) => m.packet.properties?.topicAlias === undefined),
    'aliases are per connection, never forwarded',
  );
});

for (const [what, alias] of [
  ['0 [MQTT-3.3.2-8]', 0],
  ['above the maximum [MQTT-3.3.2-9]', 6],
] as const) {
  test(`v5 topic alias ${what} gets DISCONNECT 0x94`, async (t) => {
    const srv = await startServer(t, { limits: { topicAliasMaximum: 5 } });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
    raw.send(aliased('bad/alias', alias, 'x', 1));
    const closed = await raw.expectClosed();
    assert.equal(closed.disconnect?.reasonCode, 0x94);
  });
}

test('v5 [MQTT-3.2.2-18] with Topic Alias Maximum 0 any alias gets DISCONNECT 0x94', async (t) => {
  const srv = await startServer(t, { limits: { topicAliasMaximum: 0 } });
  const { raw, connack } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  assert.ok((connack.properties?.topicAliasMaximum ?? 0) === 0, 'no aliases advertised');
  raw.send(aliased('no/alias', 1, 'x', 1));
  const closed = await raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x94);
});

test('v5 [§3.3.2.1] an empty topic without a topic alias is a protocol error', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  raw.send(aliased('', undefined, 'x', 1));
  const closed = await raw.expectClosed();
  assert.equal(closed.disconnect?.reasonCode, 0x82);
});

test('v5 [MQTT-3.3.2-7] topic aliases are not carried over to a new connection', async (t) => {
  const srv = await startServer(t);
  const clientId = 'alias-carry';
  const opts = {
    protocolVersion: 5 as const,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
  };
  const first = await RawClient.connected(t, srv.port, opts);
  first.raw.send(aliased('carry/t', 1, 'set', 1));
  await first.raw.expect('puback');
  first.raw.send({ cmd: 'disconnect', reasonCode: 0 });
  await first.raw.closed;
  const second = await RawClient.connected(t, srv.port, opts);
  second.raw.send(aliased('', 1, 'stale alias', 1));
  const closed = await second.raw.expectClosed();
  assert.ok(
    [0x82, 0x94].includes(closed.disconnect?.reasonCode ?? -1),
    `DISCONNECT ${closed.disconnect?.reasonCode}`,
  );
});

test('v5 [MQTT-3.3.2-11] the server uses outbound aliases within the client maximum', async (t) => {
  const srv = await startServer(t);
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { topicAliasMaximum: 2 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'out/#', qos: 0 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  const sent = ['out/a', 'out/a', 'out/a', 'out/b', 'out/c', 'out/d', 'out/a', 'out/b', 'out/c'];
  for (const topic of sent) await pub.client.publishAsync(topic, topic, { qos: 0 });
  const table = new Map<number, string>();
  const frames: Array<{ topic: string; alias?: number; size: number }> = [];
  for (const expected of sent) {
    const p = await raw.expect('publish');
    const alias = p.properties?.topicAlias;
    if (alias !== undefined) {
      assert.ok(alias >= 1 && alias <= 2, `alias ${alias} within 1..2 [MQTT-3.1.2-26]`);
      if (p.topic !== '') table.set(alias, p.topic);
    }
    const resolved = p.topic === '' && alias !== undefined ? table.get(alias) : p.topic;
    assert.equal(resolved, expected, 'each message resolves to its topic');
    assert.equal(p.payload.toString(), expected);
    frames.push({ topic: p.topic, ...(alias === undefined ? {} : { alias }), size: p.raw.length });
  }
  // Paho "server topic alias": the first message sets the alias, the repeats use an empty topic.
  assert.ok(frames[0]?.alias !== undefined && frames[0].topic === 'out/a', 'first message sets an alias');
  assert.equal(frames[1]?.topic, '', 'repeat sent with an empty topic');
  assert.equal(frames[1]?.alias, frames[0]?.alias);
  assert.ok((frames[1]?.size ?? 0) < (frames[0]?.size ?? 0), 'aliased frame is smaller on the wire');
});

test('v5 [MQTT-3.1.2-27] no outbound aliases when the client sets no Topic Alias Maximum', async (t) => {
  const srv = await startServer(t);
  const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await sub.client.subscribeAsync('noalias/t', { qos: 2 });
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  for (const qos of [0, 1, 2] as const) await pub.client.publishAsync('noalias/t', `q${qos}`, { qos });
  const got = (await untilMarker(pub.client, sub)).filter((m) => m.topic === 'noalias/t');
  assert.equal(got.length, 3);
  assert.ok(
    got.every((m) => m.packet.properties?.topicAlias === undefined && m.packet.topic === 'noalias/t'),
  );
});

test('outboundTopicAliasMaximum caps the aliases the server uses', async (t) => {
  const srv = await startServer(t, { limits: { outboundTopicAliasMaximum: 1 } });
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { topicAliasMaximum: 10 },
  });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cap/#', qos: 0 }] });
  await raw.expect('suback');
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  for (const topic of ['cap/a', 'cap/b', 'cap/a']) await pub.client.publishAsync(topic, topic, { qos: 0 });
  for (let i = 0; i < 3; i += 1) {
    const p = await raw.expect('publish');
    const alias = p.properties?.topicAlias;
    assert.ok(alias === undefined || alias === 1, `alias ${alias}`);
  }
});

test('v5 mqtt.js client with Topic Alias Maximum receives correct topics (paho server topic alias)', async (t) => {
  const srv = await startServer(t);
  const sub = await connectClient(t, srv.port, { protocolVersion: 5, properties: { topicAliasMaximum: 1 } });
  await sub.client.subscribeAsync('paho/alias', { qos: 2 });
  // QoS 0 and 1 only: mqtt.js 5.16 emits QoS 2 messages from its store on PUBREL without resolving the alias.
  for (const qos of [0, 1, 0, 1] as const) await sub.client.publishAsync('paho/alias', `q${qos}`, { qos });
  const got = await sub.inbox.take(4);
  assert.deepEqual(topics(got), ['paho/alias', 'paho/alias', 'paho/alias', 'paho/alias']);
  assert.deepEqual(payloads(got), ['q0', 'q1', 'q0', 'q1']);
  assert.ok(
    got.slice(1).some((m) => m.packet.topic === ''),
    'the server did use the alias',
  );
  assert.deepEqual(sub.errors, []);
});
