import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, subscribeCodes, subscriptionIds, unsubscribePacket } from '../helpers/mqtt-client.js';
import { subscribeBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, topics, untilMarker } from '../helpers/sync.js';

const versions = [4, 5] as const;

const candidateTopics = [
  'sport',
  'sport/',
  'sport/tennis/player1',
  'sport/tennis/player1/ranking',
  'sport/tennis/player1/score/wimbledon',
  '/finance',
  'finance',
  'TopicA/B',
  'TopicA/C',
  'Topic/C',
  '/TopicA',
] as const;

/** [MQTT-4.7.1-1/2] (3.1.1 §4.7.1.2/3) examples plus the paho interop topic set. */
const matching: Record<string, readonly string[]> = {
  'sport/tennis/player1/#': [
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
    'sport/tennis/player1/score/wimbledon',
  ],
  'sport/#': [
    'sport',
    'sport/',
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
    'sport/tennis/player1/score/wimbledon',
  ],
  'sport/tennis/+': ['sport/tennis/player1'],
  'sport/+': ['sport/'],
  '+': ['sport', 'finance'],
  '+/+': ['sport/', '/finance', 'TopicA/B', 'TopicA/C', 'Topic/C', '/TopicA'],
  '/+': ['/finance', '/TopicA'],
  '+/C': ['TopicA/C', 'Topic/C'],
  'TopicA/#': ['TopicA/B', 'TopicA/C'],
  '#': [...candidateTopics],
  '+/tennis/#': [
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
    'sport/tennis/player1/score/wimbledon',
  ],
};

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;

  test(`[MQTT-4.7.1-1/2] ${v}: wildcard filters match exactly the specified topics`, async (t) => {
    const srv = await startServer(t);
    const subscribers = await Promise.all(
      Object.keys(matching).map(async (filter) => {
        const c = await connectClient(t, srv.port, { protocolVersion });
        await c.client.subscribeAsync([filter, 'done'], { qos: 0 });
        return { filter, c };
      }),
    );
    const pub = await connectClient(t, srv.port, { protocolVersion });
    for (const topic of candidateTopics) await pub.client.publishAsync(topic, topic, { qos: 0 });
    await pub.client.publishAsync('done', 'done', { qos: 0 });
    for (const { filter, c } of subscribers) {
      const got = topics(await c.inbox.until('done'));
      assert.deepEqual(got, matching[filter], `filter ${filter}`);
    }
  });

  test(`[MQTT-4.7.2-1] ${v}: filters starting with a wildcard do not match topics starting with $`, async (t) => {
    const srv = await startServer(t);
    const wild = await connectClient(t, srv.port, { protocolVersion });
    await wild.client.subscribeAsync(['#', '+/+', '+/B'], { qos: 1 });
    const dollar = await connectClient(t, srv.port, { protocolVersion });
    await dollar.client.subscribeAsync('$TopicA/#', { qos: 1 });
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('$TopicA/B', 'dollar', { qos: 1 });
    assert.deepEqual(
      topics(await untilMarker(pub.client, wild)).filter((x) => x.startsWith('$')),
      [],
      'no $ topic via #, +/+ or +/B',
    );
    assert.deepEqual(
      payloads(await untilMarker(pub.client, dollar)),
      ['dollar'],
      'an explicit $ filter matches',
    );
  });

  test(`[MQTT-3.3.5-1] ${v}: overlapping subscriptions deliver at the maximum matching QoS`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.subscribeAsync({ 'TopicA/#': { qos: 2 }, 'TopicA/+': { qos: 1 } });
    await c.client.publishAsync('TopicA/C', 'overlap', { qos: 2 });
    const got = (await untilMarker(c.client, c)).filter((m) => m.topic === 'TopicA/C');
    if (protocolVersion === 4) {
      // 3.1.1: devgate sends one copy for all overlapping subscriptions (paho "overlapping subscriptions").
      assert.equal(got.length, 1, 'one message for overlapping subscriptions');
      assert.equal(got[0]?.packet.qos, 2);
    } else {
      assert.ok(got.length === 1 || got.length === 2, `${got.length} copies`);
      assert.ok(
        got.some((m) => m.packet.qos === 2),
        '[MQTT-3.3.4-2] maximum QoS of the matching subscriptions',
      );
    }
  });

  test(`[MQTT-3.8.4-3] ${v}: subscribing to an identical filter replaces the subscription`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.subscribeAsync('replace/t', { qos: 0 });
    await c.client.subscribeAsync('replace/t', { qos: 2 });
    await c.client.publishAsync('replace/t', 'once', { qos: 2 });
    const got = (await untilMarker(c.client, c)).filter((m) => m.topic === 'replace/t');
    assert.deepEqual(
      got.map((m) => m.packet.qos),
      [2],
      'one copy at the new QoS',
    );
  });

  test(`[MQTT-3.8.4-5] ${v}: one SUBACK with a code per filter, in order, even with a failure in the middle`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.sendRaw(
      subscribeBytes(protocolVersion, 42, [
        ['ok/zero', 0],
        ['bad/#/filter', 1],
        ['ok/two', 2],
      ]),
    );
    const suback = await raw.expect('suback');
    assert.equal(suback.messageId, 42, '[MQTT-3.8.4-2] same packet id');
    const failure = protocolVersion === 5 ? [0x8f, 0x80] : [0x80];
    const granted = suback.granted as number[];
    assert.equal(granted.length, 3, '[MQTT-3.9.3-1] one code per filter');
    assert.equal(granted[0], 0);
    assert.ok(
      failure.includes(granted[1] ?? -1),
      `invalid filter refused, got 0x${granted[1]?.toString(16)}`,
    );
    assert.equal(granted[2], 2);
    await raw.expectOpenAndQuiet(100);
  });

  test(`[MQTT-4.7.1-1/2] ${v}: invalid wildcard placement is refused in SUBACK`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    const bad = ['a/#/b', 'a/b#', 'a+/b', 'a/+b', '#/a'];
    raw.sendRaw(
      subscribeBytes(
        protocolVersion,
        5,
        bad.map((f) => [f, 0] as const),
      ),
    );
    const suback = await raw.expect('suback');
    for (const [i, code] of (suback.granted as number[]).entries()) {
      assert.ok(code >= 0x80, `${bad[i]} refused (got 0x${code.toString(16)})`);
    }
  });

  test(`[MQTT-3.10.4-1/2/5] ${v}: unsubscribe stops delivery; unknown filters still get UNSUBACK`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.subscribeAsync(['unsub/a', 'unsub/b', 'unsub/+'], { qos: 1 });
    const unsuback = await unsubscribePacket(c.client, ['unsub/a', 'unsub/never', 'unsub/+']);
    if (protocolVersion === 5) {
      assert.deepEqual(
        unsuback.granted,
        [0x00, 0x11, 0x00],
        '[MQTT-3.11.3-1/2] 0x11 no subscription existed',
      );
    }
    await c.client.publishAsync('unsub/a', 'a', { qos: 1 });
    await c.client.publishAsync('unsub/b', 'b', { qos: 1 });
    assert.deepEqual(payloads((await untilMarker(c.client, c)).filter((m) => m.topic.startsWith('unsub/'))), [
      'b',
    ]);
  });

  test(`[MQTT-3.10.4-1] ${v}: unsubscribe compares filters character by character`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.subscribeAsync('exact/+', { qos: 1 });
    const unsuback = await unsubscribePacket(c.client, 'exact/x');
    if (protocolVersion === 5) assert.deepEqual(unsuback.granted, [0x11]);
    await c.client.publishAsync('exact/x', 'still subscribed', { qos: 1 });
    assert.deepEqual(payloads((await untilMarker(c.client, c)).filter((m) => m.topic === 'exact/x')), [
      'still subscribed',
    ]);
  });

  test(`maxSubscriptionsPerSession ${v}: subscriptions beyond the limit are refused`, async (t) => {
    const srv = await startServer(t, { limits: { maxSubscriptionsPerSession: 2 } });
    const c = await connectClient(t, srv.port, { protocolVersion });
    const codes = await subscribeCodes(c.client, ['lim/a', 'lim/b', 'lim/c'], { qos: 1 });
    assert.deepEqual(codes.slice(0, 2), [1, 1]);
    const expected = protocolVersion === 5 ? [0x97, 0x80] : [0x80];
    assert.ok(expected.includes(codes[2] ?? -1), `third refused, got 0x${codes[2]?.toString(16)}`);
    const again = await subscribeCodes(c.client, 'lim/a', { qos: 2 });
    assert.deepEqual(again, [2], 'replacing an existing subscription is not a new one');
  });

  test(`maxTopicLevels ${v}: filters deeper than the limit are refused`, async (t) => {
    const srv = await startServer(t, { limits: { maxTopicLevels: 3 } });
    const c = await connectClient(t, srv.port, { protocolVersion });
    const codes = await subscribeCodes(c.client, ['a/b/c', 'a/b/c/d'], { qos: 0 });
    assert.equal(codes[0], 0);
    assert.ok((codes[1] ?? 0) >= 0x80, `too deep refused, got 0x${codes[1]?.toString(16)}`);
  });
}

test('[MQTT-3.3.4-3/4] v5: overlapping subscriptions carry all their subscription identifiers', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, { protocolVersion: 5 });
  await c.client.subscribeAsync('subid/#', { qos: 2, properties: { subscriptionIdentifier: 2 } });
  await c.client.subscribeAsync('subid/+', { qos: 1, properties: { subscriptionIdentifier: 3 } });
  await c.client.subscribeAsync('subid/plain', { qos: 1 });
  const other = await connectClient(t, srv.port, { protocolVersion: 5 });
  await other.client.subscribeAsync('subid/plain', {
    qos: 2,
    properties: { subscriptionIdentifier: 456789 },
  });
  await c.client.publishAsync('subid/plain', 'ids', { qos: 1 });
  const mine = (await untilMarker(c.client, c)).filter((m) => m.topic === 'subid/plain');
  const ids = mine.flatMap((m) => subscriptionIds(m.packet)).sort((a, b) => a - b);
  assert.deepEqual(ids, [2, 3], 'ids of every matching subscription that has one');
  if (mine.length > 1) {
    for (const m of mine) assert.ok(subscriptionIds(m.packet).length <= 1, '[MQTT-3.3.4-5] one id per copy');
  }
  const theirs = (await untilMarker(c.client, other)).filter((m) => m.topic === 'subid/plain');
  assert.deepEqual(
    theirs.map((m) => subscriptionIds(m.packet)),
    [[456789]],
  );
});

test('[MQTT-3.8.4-3] v5: a replaced subscription uses the new subscription identifier', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, { protocolVersion: 5 });
  await c.client.subscribeAsync('subid2/t', { qos: 1, properties: { subscriptionIdentifier: 7 } });
  await c.client.subscribeAsync('subid2/t', { qos: 1, properties: { subscriptionIdentifier: 8 } });
  await c.client.subscribeAsync('subid2/u', { qos: 1, properties: { subscriptionIdentifier: 9 } });
  await c.client.subscribeAsync('subid2/u', { qos: 1 });
  await c.client.publishAsync('subid2/t', 't', { qos: 1 });
  await c.client.publishAsync('subid2/u', 'u', { qos: 1 });
  const got = (await untilMarker(c.client, c)).filter((m) => m.topic.startsWith('subid2/'));
  assert.deepEqual(
    got.map((m) => [m.topic, subscriptionIds(m.packet)]),
    [
      ['subid2/t', [8]],
      ['subid2/u', []],
    ],
  );
});

test('[MQTT-3.3.4-3] v5: retained messages sent on subscribe carry the subscription identifier', async (t) => {
  const srv = await startServer(t);
  const c = await connectClient(t, srv.port, { protocolVersion: 5 });
  await c.client.publishAsync('subidret/t', 'kept', { qos: 1, retain: true });
  await c.client.subscribeAsync('subidret/+', { qos: 1, properties: { subscriptionIdentifier: 77 } });
  const got = await c.inbox.next();
  assert.equal(got.packet.retain, true);
  assert.deepEqual(subscriptionIds(got.packet), [77]);
});

for (const protocolVersion of versions) {
  test(`[MQTT-4.7.3-1] v${protocolVersion}: an empty topic filter is refused (SUBACK failure or close)`, async (t) => {
    const srv = await startServer(t);
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.sendRaw(subscribeBytes(protocolVersion, 1, [['', 0]]));
    const answer = await Promise.race([raw.next(), raw.closed.then(() => undefined)]);
    if (answer !== undefined && answer.cmd === 'suback') {
      assert.ok(((answer.granted as number[])[0] ?? 0) >= 0x80, 'refused in SUBACK');
    } else if (answer !== undefined) {
      assert.equal(answer.cmd, 'disconnect');
      await raw.expectClosed();
    }
  });

  test(`maxTopicLevels v${protocolVersion}: a publish deeper than the limit is refused, not forwarded`, async (t) => {
    const srv = await startServer(t, { limits: { maxTopicLevels: 3 } });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('#', { qos: 1 });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    raw.send({
      cmd: 'publish',
      topic: 'a/b/c/d',
      qos: 1,
      messageId: 1,
      payload: 'deep',
      dup: false,
      retain: false,
    });
    const answer = await Promise.race([raw.next(), raw.closed.then(() => undefined)]);
    if (protocolVersion === 5) {
      assert.ok(answer !== undefined, 'v5 gets a reason code');
      const code = answer.cmd === 'puback' || answer.cmd === 'disconnect' ? (answer.reasonCode ?? 0) : -1;
      assert.equal(code, 0x90, `${answer.cmd} 0x${code.toString(16)}: Topic Name invalid`);
    }
    const pub = await connectClient(t, srv.port, { protocolVersion });
    assert.ok(!(await untilMarker(pub.client, sub)).some((m) => m.topic === 'a/b/c/d'));
  });
}
