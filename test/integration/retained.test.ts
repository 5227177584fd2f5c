import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

const versions = [4, 5] as const;

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;
  // 3.1.1 and 5.0 number the retained rules differently.
  const r =
    protocolVersion === 5
      ? { store: '3.3.1-5', clear: '3.3.1-6/7', keep: '3.3.1-8' }
      : { store: '3.3.1-5/6', clear: '3.3.1-10/11', keep: '3.3.1-12' };

  test(`[MQTT-${r.store}] ${v}: retained messages go to new subscribers with RETAIN 1 at min QoS`, async (t) => {
    const srv = await startServer(t);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    const properties = protocolVersion === 5 ? { userProperties: { a: '2', c: '3' } } : undefined;
    await pub.client.publishAsync('TopicA/B', 'qos 0', {
      qos: 0,
      retain: true,
      ...(properties && { properties }),
    });
    await pub.client.publishAsync('Topic/C', 'qos 1', {
      qos: 1,
      retain: true,
      ...(properties && { properties }),
    });
    await pub.client.publishAsync('TopicA/C', 'qos 2', {
      qos: 2,
      retain: true,
      ...(properties && { properties }),
    });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('+/+', { qos: 2 });
    const got = (await sub.inbox.take(3)).sort((a, b) => a.packet.qos - b.packet.qos);
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.toString(), m.packet.qos, m.packet.retain]),
      [
        ['TopicA/B', 'qos 0', 0, true],
        ['Topic/C', 'qos 1', 1, true],
        ['TopicA/C', 'qos 2', 2, true],
      ],
      '[MQTT-3.3.1-8 (3.1.1)] RETAIN 1 for messages sent because of a new subscription',
    );
    if (protocolVersion === 5) {
      for (const m of got) assert.deepEqual({ ...m.packet.properties?.userProperties }, { a: '2', c: '3' });
    }
    const low = await connectClient(t, srv.port, { protocolVersion });
    await low.client.subscribeAsync('TopicA/C', { qos: 1 });
    assert.equal((await low.inbox.next()).packet.qos, 1, 'min(publish QoS, subscription QoS)');
  });

  test(`[MQTT-3.3.1-5] ${v}: a new retained message replaces the old one (also at QoS 0)`, async (t) => {
    const srv = await startServer(t);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('replace/r', 'old', { qos: 1, retain: true });
    await pub.client.publishAsync('replace/r', 'new', { qos: 0, retain: true });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('replace/r', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, sub)), ['new']);
  });

  test(`[MQTT-${r.clear}] ${v}: an empty retained payload clears the topic and is delivered normally`, async (t) => {
    const srv = await startServer(t);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('clear/r', 'to be cleared', { qos: 1, retain: true });
    const live = await connectClient(t, srv.port, { protocolVersion });
    await live.client.subscribeAsync('clear/r', { qos: 1 });
    assert.equal((await live.inbox.next()).payload.toString(), 'to be cleared');
    await pub.client.publishAsync('clear/r', '', { qos: 1, retain: true });
    const cleared = await live.inbox.next();
    assert.equal(cleared.payload.length, 0, 'existing subscribers get the empty message');
    const late = await connectClient(t, srv.port, { protocolVersion });
    await late.client.subscribeAsync('clear/r', { qos: 1 });
    assert.deepEqual(await untilMarker(pub.client, late), [], 'nothing retained any more');
  });

  test(`[MQTT-${r.keep}] ${v}: a non-retained publish neither stores nor replaces the retained message`, async (t) => {
    const srv = await startServer(t);
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('keep/r', 'retained', { qos: 1, retain: true });
    await pub.client.publishAsync('keep/r', 'transient', { qos: 1, retain: false });
    await pub.client.publishAsync('keep/other', 'never retained', { qos: 1, retain: false });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('keep/+', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, sub)), ['retained']);
  });

  test(`[MQTT-3.3.1-9 (3.1.1) / 3.3.1-12] ${v}: established subscriptions get RETAIN 0`, async (t) => {
    const srv = await startServer(t);
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('flag/r', { qos: 1 });
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('flag/r', 'live', { qos: 1, retain: true });
    const got = await sub.inbox.next();
    assert.equal(got.packet.retain, false);
  });

  test(`[MQTT-3.8.4-3 (3.1.1) / 3.3.1-9] ${v}: re-subscribing re-sends the retained messages`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.publishAsync('again/r', 'kept', { qos: 1, retain: true });
    await c.client.subscribeAsync('again/r', { qos: 1 });
    assert.equal((await c.inbox.next()).packet.retain, true);
    await c.client.subscribeAsync('again/r', { qos: 1 });
    const second = await c.inbox.next();
    assert.equal(second.payload.toString(), 'kept');
    assert.equal(second.packet.retain, true);
  });

  test(`[MQTT-4.7.2-1] ${v}: retained $ topics are not returned for # subscriptions`, async (t) => {
    const srv = await startServer(t);
    const c = await connectClient(t, srv.port, { protocolVersion });
    await c.client.publishAsync('$app/r', 'dollar', { qos: 1, retain: true });
    await c.client.publishAsync('app/r', 'plain', { qos: 1, retain: true });
    const sub = await connectClient(t, srv.port, { protocolVersion });
    await sub.client.subscribeAsync('#', { qos: 1 });
    const got = await sub.inbox.next();
    assert.equal(got.topic, 'app/r');
    assert.ok(!(await untilMarker(c.client, sub)).some((m) => m.topic.startsWith('$')));
  });
}

test('maxRetainedMessages v5: a new retained topic beyond the limit is refused with 0x97', async (t) => {
  const srv = await startServer(t, { limits: { maxRetainedMessages: 2 } });
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  const retain = (topic: string, id: number) =>
    raw.send({ cmd: 'publish', topic, qos: 1, messageId: id, payload: topic, retain: true, dup: false });
  // Success may be 0x00 or 0x10 (no matching subscribers).
  const ok = async (what: string) => assert.ok(((await raw.expect('puback')).reasonCode ?? 0) < 0x80, what);
  retain('quota/a', 1);
  await ok('first retained topic stored');
  retain('quota/b', 2);
  await ok('second retained topic stored');
  retain('quota/c', 3);
  assert.equal((await raw.expect('puback')).reasonCode, 0x97, 'quota exceeded');
  retain('quota/a', 4);
  await ok('replacing a stored topic is fine');
  const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await sub.client.subscribeAsync('quota/+', { qos: 1 });
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  assert.deepEqual(payloads(await untilMarker(pub.client, sub)).sort(), ['quota/a', 'quota/b']);
});
