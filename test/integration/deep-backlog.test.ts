import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { type Connected, connectClient, uniqueId } from '../helpers/mqtt-client.js';
import { publishBytes } from '../helpers/packets.js';
import { RawClient } from '../helpers/raw-client.js';
import { restartServer, startServer } from '../helpers/start-server.js';

/** Generous: a deep backlog on a loaded 2-core machine; a limit on waiting, not a speed check. */
const DRAIN_MS = 120_000;

/** A session that outlives its connection (v5: expiry 10 min). */
function persistent(protocolVersion: 4 | 5, clientId: string): IClientOptions {
  return protocolVersion === 5
    ? { protocolVersion, clientId, clean: false, properties: { sessionExpiryInterval: 600 } }
    : { protocolVersion, clientId, clean: false };
}

/** Subscribes a persistent session to `topic` at QoS 1 and ends its connection. */
async function leaveSubscribed(t: TestContext, port: number, options: IClientOptions, topic: string) {
  const first = await connectClient(t, port, options);
  await first.client.subscribeAsync(topic, { qos: 1 });
  await first.client.endAsync();
}

/** Publishes m1..mN at QoS 1 and waits for every PUBACK (each one means: queued for the session). */
async function publishAll(publisher: Connected, topic: string, count: number): Promise<void> {
  const acks: Promise<unknown>[] = [];
  for (let i = 1; i <= count; i++) acks.push(publisher.client.publishAsync(topic, `m${i}`, { qos: 1 }));
  await Promise.all(acks);
}

/** Every payload received, in order, checked against m1..mN. */
function assertInOrder(received: readonly { payload: Buffer }[], count: number): void {
  assert.equal(received.length, count);
  for (let i = 0; i < count; i++) {
    const payload = received[i]!.payload.toString();
    if (payload !== `m${i + 1}`) assert.fail(`message ${i + 1} was ${payload}`);
  }
}

for (const protocolVersion of [4, 5] as const) {
  test(`[MQTT-4.6.0-3] v${protocolVersion}: 20,000 QoS 1 messages queued for an offline session arrive complete and in order on reconnect`, async (t) => {
    const count = 20_000;
    const srv = await startServer(t, { limits: { maxQueuedMessages: count } });
    const clientId = uniqueId('deep');
    await leaveSubscribed(t, srv.port, persistent(protocolVersion, clientId), 'deep/t');
    const publisher = await connectClient(t, srv.port, { protocolVersion });
    await publishAll(publisher, 'deep/t', count);
    assert.equal(srv.metrics.droppedQueueFull, 0);

    const back = await connectClient(t, srv.port, persistent(protocolVersion, clientId));
    assert.equal(back.connack.sessionPresent, true);
    assertInOrder(await back.inbox.take(count, DRAIN_MS), count);
    await back.inbox.expectNone();
    assert.equal(
      back.inbox.all.some((m) => m.packet.dup),
      false,
      '[MQTT-3.3.1-1] first deliveries',
    );
  });
}

test('limits.maxQueuedMessages: a full offline queue drops the newest, counts them, and delivers the rest in order', async (t) => {
  const srv = await startServer(t, { limits: { maxQueuedMessages: 3_000 } });
  const clientId = uniqueId('full');
  await leaveSubscribed(t, srv.port, persistent(5, clientId), 'full/t');
  const publisher = await connectClient(t, srv.port, { protocolVersion: 4 });
  await publishAll(publisher, 'full/t', 3_500);
  assert.equal(srv.metrics.droppedQueueFull, 500);
  const back = await connectClient(t, srv.port, persistent(5, clientId));
  assertInOrder(await back.inbox.take(3_000, DRAIN_MS), 3_000);
  await back.inbox.expectNone();
});

test('[MQTT-4.1.0-1] a deep queue persisted in SQLite is restored after a restart in publish order', async (t) => {
  const count = 5_000;
  const srv = await startServer(t, { persistence: true, limits: { maxQueuedMessages: count } });
  const clientId = uniqueId('restored');
  await leaveSubscribed(t, srv.port, persistent(4, clientId), 'restored/t');
  const publisher = await connectClient(t, srv.port, { protocolVersion: 4 });
  await publishAll(publisher, 'restored/t', count);
  await publisher.client.endAsync();

  const again = await restartServer(srv);
  const back = await connectClient(t, again.port, persistent(4, clientId));
  assert.equal(back.connack.sessionPresent, true);
  assertInOrder(await back.inbox.take(count, DRAIN_MS), count);
});

test('limits.maxPendingPackets: thousands of PUBLISHes in one write are all handled, acknowledged in order', async (t) => {
  const count = 3_000;
  const srv = await startServer(t, { limits: { maxPendingPackets: 64 } });
  const { raw } = await RawClient.connected(t, srv.port);
  const burst = Array.from({ length: count }, (_, i) =>
    publishBytes({ version: 4, topic: 'burst/t', qos: 1, id: i + 1, payload: `m${i + 1}` }),
  );
  raw.sendRaw(Buffer.concat([...burst, Buffer.from([0xc0, 0])])); // … then PINGREQ
  for (let id = 1; id <= count; id++) {
    const ack = await raw.expect('puback');
    if (ack.messageId !== id) assert.fail(`PUBACK ${id} was for ${ack.messageId}`);
  }
  await raw.expect('pingresp');
});
