import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { connectClient } from './mqtt-client.js';
import { RawClient } from './raw-client.js';
import type { TestServer } from './start-server.js';
import { untilMarker } from './sync.js';

/**
 * maxWriteBufferBytes: a subscriber that stops reading gets its QoS 0 messages dropped (and
 * counted) once its socket backlog passes the limit, while a reading subscriber of the same
 * topic gets every message. Run against a server started with a small `maxWriteBufferBytes`.
 */
export async function assertSlowConsumerDrops(t: TestContext, srv: TestServer, topic: string): Promise<void> {
  const { raw } = await RawClient.connected(t, srv.port, { protocolVersion: 4 });
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
  await raw.expect('suback');
  raw.pause();
  const fast = await connectClient(t, srv.port, { protocolVersion: 4 });
  await fast.client.subscribeAsync(topic, { qos: 0 });
  const pub = await connectClient(t, srv.port, { protocolVersion: 4 });
  const payload = Buffer.alloc(8 * 1024, 0x61);
  const count = 1500; // ~12 MB: more than socket buffers absorb
  // Publish in small batches paced by the fast consumer, so only the paused one can fall behind.
  const batch = 4;
  for (let i = 0; i < count; i += batch) {
    for (let j = 0; j < batch; j += 1) pub.client.publish(topic, payload, { qos: 0 });
    await fast.inbox.take(batch);
  }
  await untilMarker(pub.client, fast);
  assert.equal(fast.inbox.all.filter((m) => m.topic === topic).length, count, 'the fast consumer got all');
  assert.ok(srv.metrics.droppedSlowConsumer > 0, `droppedSlowConsumer = ${srv.metrics.droppedSlowConsumer}`);
}
