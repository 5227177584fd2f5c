import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { writeToStream } from 'mqtt-packet';
import type { ManagedConnection } from '../../../src/broker/broker.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { connected, createHarness } from '../../helpers/channel-harness.js';

/** What an idle connection holds: shared where it may be, per connection only where it must be. */
describe('idle connections hold no per-connection extras', () => {
  test('[MQTT-3.1.2-27 v5] no Topic Alias Maximum (or 3.1.1): the shared no-alias table, not a new one', async (t) => {
    const h = createHarness();
    t.after(() => h.broker.close());
    const v5 = await connected(h, { clientId: 'v5', protocolVersion: 5 });
    const v4 = await connected(h, { clientId: 'v4' });
    const zero = await connected(h, {
      clientId: 'zero',
      protocolVersion: 5,
      properties: { topicAliasMaximum: 0 },
    });
    const aliasing = await connected(h, {
      clientId: 'aliasing',
      protocolVersion: 5,
      properties: { topicAliasMaximum: 2 },
    });
    assert.equal(v5.channel.outboundAliases, v4.channel.outboundAliases);
    assert.equal(zero.channel.outboundAliases, v4.channel.outboundAliases);
    assert.notEqual(aliasing.channel.outboundAliases, v4.channel.outboundAliases);
  });

  test('attach counts a connection, detach forgets it; a closing broker refuses new ones', async () => {
    const h = createHarness();
    const connection: ManagedConnection = { shutdown: async () => undefined };
    assert.equal(h.broker.attach(connection), true);
    assert.equal(h.broker.connectionCount, 1);
    h.broker.detach(connection);
    h.broker.detach(connection); // a second detach (close after a refused attach) is harmless
    assert.equal(h.broker.connectionCount, 0);
    await h.broker.close();
    assert.equal(h.broker.attach(connection), false);
    assert.equal(h.broker.connectionCount, 0);
  });

  test('the general encoder writes numbers without mqtt-packet’s 65,536-Buffer cache', () => {
    assert.equal(writeToStream.cacheNumbers, false);
    // Two-byte numbers at their edges, as the cache would have written them (big-endian).
    const suback = encodePacket({ cmd: 'suback', messageId: 65535, granted: [1] }, 4);
    assert.deepEqual([...suback], [0x90, 3, 0xff, 0xff, 1]);
    const low = encodePacket({ cmd: 'suback', messageId: 256, granted: [0] }, 4);
    assert.deepEqual([...low], [0x90, 3, 0x01, 0x00, 0]);
    const connack = encodePacket(
      { cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 258 } },
      5,
    );
    assert.deepEqual([...connack], [0x20, 6, 0, 0, 3, 0x21, 0x01, 0x02]);
  });
});
