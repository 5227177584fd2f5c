import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/start-server.js';
import { quietPeriod, stopwatch } from '../helpers/wait.js';

const versions = [4, 5] as const;

function will(
  topic: string,
  extra: Partial<NonNullable<IClientOptions['will']>> = {},
): IClientOptions['will'] {
  return { topic, payload: Buffer.from('gone'), qos: 1, retain: false, ...extra };
}

// Timer-based cases run concurrently: every test has its own server.
describe('will messages', { concurrency: true }, () => {
  for (const protocolVersion of versions) {
    const v = `v${protocolVersion}`;

    test(`[MQTT-3.1.2-8] ${v}: the will is published when the connection drops without DISCONNECT`, async (t) => {
      const srv = await startServer(t);
      const watcher = await connectClient(t, srv.port, { protocolVersion });
      await watcher.client.subscribeAsync('will/drop', { qos: 2 });
      const dying = await connectClient(t, srv.port, {
        protocolVersion,
        will: will('will/drop', { qos: 2 }),
      });
      dying.client.end(true);
      const got = await watcher.inbox.next();
      assert.equal(got.topic, 'will/drop');
      assert.equal(got.payload.toString(), 'gone');
      assert.equal(got.packet.qos, 2, 'will QoS kept');
      assert.equal(got.packet.retain, false, '[MQTT-3.1.2-14 v5 / 3.1.2-16] non-retained will');
    });

    test(`[MQTT-3.1.2-10] ${v}: a normal DISCONNECT discards the will`, async (t) => {
      const srv = await startServer(t);
      const watcher = await connectClient(t, srv.port, { protocolVersion });
      await watcher.client.subscribeAsync('will/normal', { qos: 1 });
      const leaving = await connectClient(t, srv.port, { protocolVersion, will: will('will/normal') });
      await leaving.client.endAsync();
      await watcher.inbox.expectNone(400);
    });

    test(`[MQTT-3.1.2-15 v5 / MQTT-3.1.2-17] ${v}: a will with Will Retain 1 is stored as retained`, async (t) => {
      const srv = await startServer(t);
      const dying = await connectClient(t, srv.port, {
        protocolVersion,
        will: will('will/retained', { retain: true }),
      });
      const watcher = await connectClient(t, srv.port, { protocolVersion });
      await watcher.client.subscribeAsync('will/retained', { qos: 1 });
      dying.client.end(true);
      const live = await watcher.inbox.next();
      assert.equal(live.payload.toString(), 'gone');
      const late = await connectClient(t, srv.port, { protocolVersion });
      await late.client.subscribeAsync('will/retained', { qos: 1 });
      const retained = await late.inbox.next();
      assert.equal(retained.payload.toString(), 'gone');
      assert.equal(retained.packet.retain, true);
    });

    test(`[MQTT-3.1.2-8] ${v}: a keepalive timeout publishes the will`, async (t) => {
      const srv = await startServer(t);
      const watcher = await connectClient(t, srv.port, { protocolVersion });
      await watcher.client.subscribeAsync('will/keepalive', { qos: 1 });
      const elapsed = stopwatch();
      await RawClient.connected(t, srv.port, {
        protocolVersion,
        keepalive: 1,
        will: { topic: 'will/keepalive', payload: Buffer.from('timed out'), qos: 1, retain: false },
      });
      const got = await watcher.inbox.next(4000);
      assert.equal(got.payload.toString(), 'timed out');
      assert.ok(elapsed() >= 1000, `will after ${elapsed()} ms, before 1.5 x keepalive`);
    });

    test(`[MQTT-4.8.0-1] ${v}: a connection closed for a malformed packet publishes its will`, async (t) => {
      const srv = await startServer(t);
      const watcher = await connectClient(t, srv.port, { protocolVersion });
      await watcher.client.subscribeAsync('will/malformed', { qos: 1 });
      const { raw } = await RawClient.connected(t, srv.port, {
        protocolVersion,
        will: { topic: 'will/malformed', payload: Buffer.from('broken'), qos: 1, retain: false },
      });
      raw.sendRaw('36 05 00 01 61 00 01'); // PUBLISH with QoS 3 [MQTT-3.3.1-4]
      await raw.expectClosed();
      assert.equal((await watcher.inbox.next()).payload.toString(), 'broken');
    });
  }

  test('v5 [§3.14.2.1]: DISCONNECT with reason 0x04 publishes the will', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/0x04', { qos: 1 });
    const leaving = await connectClient(t, srv.port, { protocolVersion: 5, will: will('will/0x04') });
    await leaving.client.endAsync({ reasonCode: 0x04 });
    assert.equal((await watcher.inbox.next()).payload.toString(), 'gone');
  });

  test('v5 [MQTT-3.3.2-4/15/16/17/18/20]: will properties are passed through unchanged', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/props', { qos: 1 });
    const properties = {
      payloadFormatIndicator: true,
      contentType: 'text/plain',
      responseTopic: 'will/reply',
      correlationData: Buffer.from('corr-1'),
      userProperties: { a: '2', c: '3', b: ['x', 'y'] },
      messageExpiryInterval: 60,
    };
    const dying = await connectClient(t, srv.port, {
      protocolVersion: 5,
      will: will('will/props', { properties }),
    });
    dying.client.end(true);
    const { packet } = await watcher.inbox.next();
    const p = packet.properties ?? {};
    assert.equal(p.payloadFormatIndicator, true);
    assert.equal(p.contentType, 'text/plain');
    assert.equal(p.responseTopic, 'will/reply');
    assert.deepEqual(p.correlationData, Buffer.from('corr-1'));
    assert.deepEqual({ ...p.userProperties }, { a: '2', c: '3', b: ['x', 'y'] });
    assert.deepEqual(Object.keys(p.userProperties ?? {}), ['a', 'c', 'b'], 'order kept');
    assert.ok(
      (p.messageExpiryInterval ?? 0) > 0 && (p.messageExpiryInterval ?? 0) <= 60,
      'remaining expiry sent',
    );
  });

  test('v5 [MQTT-3.1.2-8]: the Will Delay Interval postpones the will', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/delay', { qos: 1 });
    const dying = await connectClient(t, srv.port, {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 30 },
      will: will('will/delay', { properties: { willDelayInterval: 1 } }),
    });
    const elapsed = stopwatch();
    dying.client.end(true);
    await watcher.inbox.next(4000);
    assert.ok(elapsed() >= 900, `will after ${Math.round(elapsed())} ms, expected about 1000`);
  });

  test('v5 [MQTT-3.1.3-9]: reconnecting within the Will Delay Interval cancels the will', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/cancel', { qos: 1 });
    const clientId = uniqueId('cancel');
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30 },
      will: will('will/cancel', { properties: { willDelayInterval: 1 } }),
    };
    const first = await connectClient(t, srv.port, options);
    first.client.end(true);
    const back = await connectClient(t, srv.port, { ...options, will: undefined });
    assert.equal(back.connack.sessionPresent, true);
    await quietPeriod(1500);
    assert.deepEqual(watcher.inbox.pending, [], 'no will after the delay passed');
  });

  test('v5 [MQTT-3.1.2-8]: the will is published when the session ends before the will delay', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/expiry', { qos: 1 });
    const dying = await connectClient(t, srv.port, {
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 1 },
      will: will('will/expiry', { properties: { willDelayInterval: 30 } }),
    });
    const elapsed = stopwatch();
    dying.client.end(true);
    await watcher.inbox.next(4000);
    assert.ok(
      elapsed() >= 900 && elapsed() < 4000,
      `will after ${Math.round(elapsed())} ms, expected about 1000`,
    );
  });

  test('v5 [MQTT-3.1.2-8]: with session expiry 0 a delayed will is published at disconnect', async (t) => {
    const srv = await startServer(t);
    const watcher = await connectClient(t, srv.port, { protocolVersion: 5 });
    await watcher.client.subscribeAsync('will/expiry0', { qos: 1 });
    const dying = await connectClient(t, srv.port, {
      protocolVersion: 5,
      will: will('will/expiry0', { properties: { willDelayInterval: 30 } }),
    });
    const elapsed = stopwatch();
    dying.client.end(true);
    await watcher.inbox.next(2000);
    assert.ok(elapsed() < 1000, 'the session ended at once, so the will went at once');
  });
});
