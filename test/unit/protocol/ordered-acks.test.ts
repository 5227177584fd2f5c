import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublishPacket, QoS } from '../../../src/mqtt/codec/packet.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { OrderedAcks } from '../../../src/mqtt/protocol/ordered-acks.js';

const publish = (messageId: number, qos: QoS = 1): PublishPacket => ({
  cmd: 'publish',
  topic: 't',
  payload: Buffer.alloc(0),
  qos,
  retain: false,
  dup: false,
  ...(qos === 0 ? {} : { messageId }),
});

/** OrderedAcks recording what it sends, as [packet id, reason code]. */
function recording(): { acks: OrderedAcks; sent: [number | undefined, ReasonCode][] } {
  const sent: [number | undefined, ReasonCode][] = [];
  const acks = new OrderedAcks((packet, code) => sent.push([packet.messageId, code]));
  return { acks, sent };
}

describe('OrderedAcks: an O(1) FIFO of acknowledgements (unit)', () => {
  test('[MQTT-4.6.0-2] thousands of deferred acks settled in reverse go out in arrival order, all at the first one', () => {
    const { acks, sent } = recording();
    const settle = Array.from({ length: 5_000 }, (_, i) => acks.defer(publish(i + 1)));
    assert.equal(acks.size, 5_000);
    for (let i = settle.length - 1; i >= 1; i--) settle[i]!(ReasonCode.Success);
    assert.equal(sent.length, 0, 'nothing passes the first, unsettled ack');
    assert.equal(acks.size, 5_000);
    settle[0]!(ReasonCode.Success);
    assert.deepEqual(
      sent.map(([id]) => id),
      Array.from({ length: 5_000 }, (_, i) => i + 1),
    );
    assert.equal(acks.size, 0);
  });

  test('[MQTT-4.6.0-2] acks known at once queue behind a deferred one; QoS 0 packets add nothing to the line', () => {
    const { acks, sent } = recording();
    acks.now(publish(1), ReasonCode.Success); // nothing pending: sent at once
    const settle2 = acks.defer(publish(2));
    acks.now(publish(3), ReasonCode.Success);
    acks.now(publish(0, 0), ReasonCode.Success);
    const settle4 = acks.defer(publish(4));
    acks.now(publish(5), ReasonCode.NoMatchingSubscribers);
    assert.equal(acks.size, 4);
    settle4(ReasonCode.Success);
    assert.deepEqual(sent, [[1, ReasonCode.Success]]);
    settle2(ReasonCode.ImplementationSpecificError);
    assert.deepEqual(sent, [
      [1, ReasonCode.Success],
      [2, ReasonCode.ImplementationSpecificError],
      [3, ReasonCode.Success],
      [4, ReasonCode.Success],
      [5, ReasonCode.NoMatchingSubscribers],
    ]);
    assert.equal(acks.size, 0);
  });

  test('a second settlement of the same ack is ignored; partial drains keep the rest in order', () => {
    const { acks, sent } = recording();
    const settle = [1, 2, 3, 4].map((id) => acks.defer(publish(id)));
    settle[0]!(ReasonCode.Success);
    settle[0]!(ReasonCode.UnspecifiedError);
    settle[2]!(ReasonCode.Success);
    assert.deepEqual(sent, [[1, ReasonCode.Success]]);
    assert.equal(acks.size, 3);
    settle[1]!(ReasonCode.Success);
    assert.deepEqual(
      sent.map(([id]) => id),
      [1, 2, 3],
    );
    assert.equal(acks.size, 1);
    const later = acks.defer(publish(5));
    settle[3]!(ReasonCode.Success);
    later(ReasonCode.Success);
    assert.deepEqual(
      sent.map(([id]) => id),
      [1, 2, 3, 4, 5],
    );
  });

  test('Receive Maximum bound: whenBelow resolves only once fewer than the limit are pending', async () => {
    const { acks } = recording();
    const settle = Array.from({ length: 10 }, (_, i) => acks.defer(publish(i + 1)));
    let resolved = false;
    const below = acks.whenBelow(10).then(() => {
      resolved = true;
    });
    settle[5]!(ReasonCode.Success); // settled but still behind unsettled ones: size stays 10
    await Promise.resolve();
    assert.equal(resolved, false);
    settle[0]!(ReasonCode.Success);
    await below;
    assert.equal(acks.size, 9);
    await acks.whenBelow(10); // already true: resolves at once
  });
});
