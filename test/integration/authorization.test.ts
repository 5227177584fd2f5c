import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPlatformAuthorizer } from '../../src/auth/platform-authenticator.js';
import type { Authenticator, Authorizer, ClientIdentity } from '../../src/broker/auth.js';
import { connackCode, connectClient, connectRefused, subscribeCodes } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { payloads, untilMarker } from '../helpers/sync.js';

const versions = [4, 5] as const;

/** Denies `deny/…` for publish and subscribe, and `secret/…` deliveries to clients named `nosecret…`. */
function policy(seen: ClientIdentity[] = []): Authorizer {
  return {
    canPublish: (identity, topic) => {
      seen.push(identity);
      return !topic.startsWith('deny/');
    },
    canSubscribe: (_identity, filter) => !filter.startsWith('deny/'),
    canReceive: (identity, topic) =>
      !(topic.startsWith('secret/') && identity.clientId.startsWith('nosecret')),
  };
}

const authenticator: Authenticator = {
  authenticate: (request) => {
    if (request.username === 'bad') return { ok: false, reasonCode: 0x86 };
    if (request.username === 'banned') return { ok: false, reasonCode: 0x87 };
    return { ok: true, identity: { clientId: request.clientId, username: request.username ?? 'anon' } };
  },
};

for (const protocolVersion of versions) {
  const v = `v${protocolVersion}`;

  test(`[MQTT-3.3.5-2 (3.1.1) / §3.4.2.1] ${v}: a denied publish is not forwarded and the connection stays`, async (t) => {
    const srv = await startServer(t, { deps: { authorizer: policy() } });
    const watcher = await connectClient(t, srv.port, { protocolVersion });
    await watcher.client.subscribeAsync('#', { qos: 2 });
    const { raw } = await RawClient.connected(t, srv.port, { protocolVersion });
    const publish = { cmd: 'publish', topic: 'deny/t', dup: false, retain: false } as const;
    raw.send({ ...publish, qos: 0, payload: 'q0' });
    raw.send({ ...publish, qos: 1, messageId: 1, payload: 'q1' });
    const puback = await raw.expect('puback');
    assert.equal(puback.messageId, 1);
    // v5: 0x87 Not authorized; 3.1.1: a normal acknowledgement (the message is silently dropped).
    assert.equal(puback.reasonCode ?? 0, protocolVersion === 5 ? 0x87 : 0);
    raw.send({ ...publish, qos: 2, messageId: 2, payload: 'q2' });
    const pubrec = await raw.expect('pubrec');
    assert.equal(pubrec.reasonCode ?? 0, protocolVersion === 5 ? 0x87 : 0);
    if (protocolVersion === 4) {
      raw.send({ cmd: 'pubrel', messageId: 2 });
      await raw.expect('pubcomp');
    }
    raw.send({ cmd: 'pingreq' });
    await raw.expect('pingresp');
    const pub = await connectClient(t, srv.port, { protocolVersion });
    const got = await untilMarker(pub.client, watcher);
    assert.deepEqual(
      got.filter((m) => m.topic.startsWith('deny/')),
      [],
    );
  });

  test(`[MQTT-3.9.3 / §3.9.3] ${v}: a subscription the authorizer refuses (false) gets 0x80 in SUBACK`, async (t) => {
    const srv = await startServer(t, { deps: { authorizer: policy() } });
    const c = await connectClient(t, srv.port, { protocolVersion });
    const codes = await subscribeCodes(c.client, ['ok/a', 'deny/b', 'ok/c'], { qos: 1 });
    assert.deepEqual(codes, [1, 0x80, 1]);
  });

  test(`[MQTT-3.9.3 / §3.9.3] ${v}: an authorizer's own failure code (0x87) reaches v5 SUBACK, 0x80 in 3.1.1`, async (t) => {
    const authorizer: Authorizer = {
      ...policy(),
      canSubscribe: (_i, f) => (f.startsWith('deny/') ? 0x87 : true),
    };
    const srv = await startServer(t, { deps: { authorizer } });
    const c = await connectClient(t, srv.port, { protocolVersion });
    const codes = await subscribeCodes(c.client, ['ok/a', 'deny/b'], { qos: 1 });
    assert.deepEqual(codes, [1, protocolVersion === 5 ? 0x87 : 0x80]);
  });

  test(`[MQTT-4.8.2] ${v}: a subscribe denial cannot be bypassed with a $share/{group}/ prefix`, async (t) => {
    const srv = await startServer(t, { deps: { authorizer: policy() } });
    const c = await connectClient(t, srv.port, { protocolVersion });
    const codes = await subscribeCodes(c.client, ['$share/g/deny/b', '$share/g/ok/b'], { qos: 1 });
    assert.deepEqual(codes, [0x80, 1]);
  });

  test(`Authorizer.canReceive ${v}: deliveries are checked per matched topic`, async (t) => {
    const srv = await startServer(t, { deps: { authorizer: policy() } });
    const c = await connectClient(t, srv.port, { protocolVersion, clientId: `nosecret-${protocolVersion}` });
    await c.client.subscribeAsync('+/a', { qos: 1 });
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('secret/a', 'hidden', { qos: 1 });
    await pub.client.publishAsync('public/a', 'visible', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, c)), ['visible']);
  });

  test(`Authorizer.canReceive ${v}: retained messages sent on SUBSCRIBE are checked per topic too`, async (t) => {
    const srv = await startServer(t, { deps: { authorizer: policy() } });
    const pub = await connectClient(t, srv.port, { protocolVersion });
    await pub.client.publishAsync('secret/a', 'hidden', { qos: 1, retain: true });
    await pub.client.publishAsync('public/a', 'visible', { qos: 1, retain: true });
    const c = await connectClient(t, srv.port, { protocolVersion, clientId: `nosecret-r${protocolVersion}` });
    await c.client.subscribeAsync('+/a', { qos: 1 });
    assert.deepEqual(payloads(await untilMarker(pub.client, c)), ['visible']);
  });

  test(`authentication ${v}: refusals map to CONNACK codes and close [MQTT-3.2.2-7]`, async (t) => {
    const srv = await startServer(t, { deps: { authenticator, authorizer: policy() } });
    const bad = await connectRefused(t, srv.port, { protocolVersion, username: 'bad', password: 'x' });
    const banned = await connectRefused(t, srv.port, { protocolVersion, username: 'banned', password: 'x' });
    assert.equal(bad && connackCode(bad), protocolVersion === 5 ? 0x86 : 0x04);
    assert.equal(banned && connackCode(banned), protocolVersion === 5 ? 0x87 : 0x05);
    assert.equal(bad?.sessionPresent, false, '[MQTT-3.2.2-6 v5 / MQTT-3.2.2-4] Session Present 0 on refusal');
  });
}

test('the identity from the authenticator reaches the authorizer', async (t) => {
  const seen: ClientIdentity[] = [];
  const srv = await startServer(t, { deps: { authenticator, authorizer: policy(seen) } });
  const c = await connectClient(t, srv.port, {
    protocolVersion: 5,
    clientId: 'who',
    username: 'alice',
    password: 'pw',
  });
  await c.client.publishAsync('ok/t', 'x', { qos: 1 });
  assert.ok(seen.some((identity) => identity.clientId === 'who' && identity.username === 'alice'));
});

test('v5: a will on a topic the client may not publish to is not published', async (t) => {
  const srv = await startServer(t, { deps: { authorizer: policy() } });
  const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
  await watcher.client.subscribeAsync('#', { qos: 1 });
  const dying = await connectClient(t, srv.port, {
    protocolVersion: 5,
    will: { topic: 'deny/will', payload: Buffer.from('should not pass'), qos: 1, retain: false },
  });
  dying.client.end(true);
  await watcher.inbox.expectNone(400);
});

test('[MQTT-4.6.0-5] an asynchronous authorizer does not reorder one client’s messages', async (t) => {
  const slow: Authorizer = {
    canPublish: async () => {
      await sleep(Math.floor(Math.random() * 5));
      return true;
    },
    canSubscribe: () => true,
  };
  const srv = await startServer(t, { deps: { authorizer: slow } });
  const sub = await connectClient(t, srv.port, { protocolVersion: 5 });
  await sub.client.subscribeAsync('async/t', { qos: 1 });
  const pub = await connectClient(t, srv.port, { protocolVersion: 5 });
  const sends = Array.from({ length: 20 }, (_, i) =>
    pub.client.publishAsync('async/t', String(i), { qos: 1 }),
  );
  await Promise.all(sends);
  assert.deepEqual(
    payloads(await sub.inbox.take(20)),
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
});

test('[MQTT-3.1.2-29] v5: with Request Problem Information 0 a PUBACK carries no Reason String', async (t) => {
  const srv = await startServer(t, { deps: { authorizer: policy() } });
  const { raw } = await RawClient.connected(t, srv.port, {
    protocolVersion: 5,
    properties: { requestProblemInformation: false },
  });
  raw.send({
    cmd: 'publish',
    topic: 'deny/t',
    qos: 1,
    messageId: 1,
    payload: 'x',
    dup: false,
    retain: false,
  });
  const puback = await raw.expect('puback');
  assert.equal(puback.reasonCode, 0x87);
  assert.equal(puback.properties?.reasonString, undefined);
  assert.equal(puback.properties?.userProperties, undefined);
  raw.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'deny/s', qos: 0 }] });
  const suback = await raw.expect('suback');
  assert.equal(suback.properties?.reasonString, undefined);
});

test('fail closed: platform identities without an adapter may neither publish nor subscribe', async (t) => {
  // A composition that lost its API adapters: logins still succeed, the topic rules must not.
  const adapterless: Authenticator = {
    authenticate: (request) => ({
      ok: true,
      identity: { clientId: request.clientId, attributes: { kind: 'device', deviceId: 1, orgId: 1 } },
    }),
  };
  const srv = await startServer(t, {
    deps: { authenticator: adapterless, authorizer: createPlatformAuthorizer() },
  });
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 5 });
  const publish = { cmd: 'publish', dup: false, qos: 1, payload: 'x' } as const;
  for (const [i, topic] of ['ds/Power', 'dev/abc/ds/Power', '$dev/1/downlink/ds/Power', 'a/b'].entries()) {
    raw.send({ ...publish, topic, messageId: i + 1, retain: true });
    assert.equal((await raw.expect('puback')).reasonCode, 0x87, topic);
  }
  assert.equal(srv.server.broker.retained.size, 0, 'nothing was retained');
  const filters = ['#', 'downlink/#', 'dev/abc/downlink/#', '$dev/1/downlink/#'];
  raw.send({ cmd: 'subscribe', messageId: 9, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) });
  assert.deepEqual(
    (await raw.expect('suback')).granted,
    filters.map(() => 0x87),
  );
  const v4 = await connectClient(t, srv.port, { protocolVersion: 4 });
  assert.deepEqual(await subscribeCodes(v4.client, ['#', 'a/b']), [0x80, 0x80]);
});
