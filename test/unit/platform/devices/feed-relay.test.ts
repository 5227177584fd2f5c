import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../../src/observability/logger.js';
import { type DeviceChange, DeviceFeed } from '../../../../src/platform/devices/device-feed.js';
import {
  type FeedBus,
  FeedRelay,
  type FeedRelayLimits,
} from '../../../../src/platform/devices/feed-relay.js';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  MAX_MESSAGE_CHARS,
  type RelayMessage,
} from '../../../../src/platform/devices/feed-relay-wire.js';

const logger = createLogger({ level: 'silent' });
const record = { id: 3, deviceId: 7, eventId: 1, code: 'alarm', description: 'too hot', ts: 9 };

/** A pub/sub channel in memory: every subscriber gets every message (its own too), a turn later. */
class MemoryBus {
  readonly relays: FeedRelay[] = [];
  readonly published: string[] = [];
  down = false;
  /** While set, publishes never settle (a Redis that stopped answering). */
  stalled = false;

  busFor(): FeedBus {
    return {
      publish: (text) => {
        if (this.stalled) return new Promise(() => undefined);
        if (this.down) return Promise.reject(new Error('away'));
        this.published.push(text);
        return new Promise((resolve) =>
          setImmediate(() => {
            for (const relay of this.relays) relay.receive(text);
            resolve();
          }),
        );
      },
    };
  }

  node(nodeId: string, limits: Partial<FeedRelayLimits> = {}): { feed: DeviceFeed; relay: FeedRelay } {
    const feed = new DeviceFeed();
    const relay = new FeedRelay({ nodeId, feed, bus: this.busFor(), logger, limits });
    relay.start();
    this.relays.push(relay);
    relay.joined();
    return { feed, relay };
  }

  /** Messages of one kind sent so far. */
  count(kind: string): number {
    return this.published.filter((text) => (JSON.parse(text) as { k: string }).k === kind).length;
  }
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('device feed relay wire', () => {
  test('every change and message survives encoding, and carries device ids only', () => {
    const messages: RelayMessage[] = [
      {
        type: 'changes',
        node: 'n1',
        changes: [
          { deviceId: 7, change: { kind: 'value', dataStreamId: 2, value: 21.5, ts: 1000 } },
          { deviceId: 7, change: { kind: 'value', dataStreamId: 3, value: 'on', ts: 1001 } },
          { deviceId: 7, change: { kind: 'value', dataStreamId: 4, value: [52.1, 4.3], ts: 1002 } },
          { deviceId: 8, change: { kind: 'online', connected: false, at: 1003 } },
          { deviceId: 7, change: { kind: 'event', record, type: 'WARNING' } },
          { deviceId: 7, change: { kind: 'event', record } },
        ],
      },
      { type: 'watch', node: 'n1', devices: [7, 8] },
      { type: 'unwatch', node: 'n1', devices: [7] },
      { type: 'beat', node: 'n1', devices: [] },
      { type: 'online', node: 'n1', round: 4, last: true, devices: [1, 2, 3] },
      { type: 'hello', node: 'n1' },
      { type: 'bye', node: 'n1' },
    ];
    for (const message of messages)
      assert.deepEqual(decodeRelayMessage(encodeRelayMessage(message)), message);
    const value = encodeRelayMessage(messages[0] as RelayMessage);
    assert.ok(value.length < 200, value);
  });

  test('anything else is refused, never thrown', () => {
    const bad = [
      'not json',
      '[]',
      '{"k":"h"}',
      '{"n":"","k":"h"}',
      '{"n":"a","k":"z"}',
      '{"n":"a","k":"w","d":[-1]}',
      '{"n":"a","k":"w","d":["7"]}',
      '{"n":"a","k":"o","r":1,"l":2,"d":[]}',
      '{"n":"a","k":"c","c":[[7,"v",1,null,5]]}',
      '{"n":"a","k":"c","c":[[7,"v",1,{"x":1},5]]}',
      '{"n":"a","k":"c","c":[[7,"o",2,5]]}',
      '{"n":"a","k":"c","c":[[7,"e",1,1,"c","d",5,"LOUD"]]}',
      '{"n":"a","k":"c","c":[[7,"x"]]}',
      `{"n":"a","k":"b","d":[${'1,'.repeat(MAX_MESSAGE_CHARS / 2)}1]}`,
    ];
    for (const text of bad) assert.equal(decodeRelayMessage(text), undefined, text.slice(0, 60));
  });
});

describe('device feed relay between nodes', () => {
  test('a stream on one node hears another node’s changes once, its own node’s once', async () => {
    const bus = new MemoryBus();
    const a = bus.node('a');
    const b = bus.node('b');
    await turns();
    const onB: DeviceChange[] = [];
    const onA: DeviceChange[] = [];
    b.feed.subscribe(7, (c) => onB.push(c));
    a.feed.subscribe(7, (c) => onA.push(c));
    await b.feed.ready(7);
    await a.feed.ready(7);
    await turns();
    a.feed.values(7, [{ dataStreamId: 1, value: 5, ts: 10 }]);
    b.feed.event(record, 'WARNING');
    await turns();
    const value: DeviceChange = { kind: 'value', dataStreamId: 1, value: 5, ts: 10 };
    const event: DeviceChange = { kind: 'event', record, type: 'WARNING' };
    // Each node's own change comes first (at once); the other's follows through the channel.
    assert.deepEqual(onB, [event, value]);
    assert.deepEqual(onA, [value, event]);
  });

  test('values of devices nobody watches elsewhere stay home; presence always goes', async () => {
    const bus = new MemoryBus();
    const a = bus.node('a');
    const b = bus.node('b');
    await turns();
    a.feed.values(9, [{ dataStreamId: 1, value: 5, ts: 10 }]);
    a.feed.presence(9, true, 11);
    await turns();
    assert.equal(bus.count('c'), 1);
    assert.equal(b.relay.onlineElsewhere(9), true);
    assert.equal(a.relay.onlineElsewhere(9), false, 'its own devices are not "elsewhere"');
    const stop = b.feed.subscribe(9, () => undefined);
    await turns();
    assert.equal(a.relay.wantedElsewhere(9), true);
    stop();
    await turns();
    assert.equal(a.relay.wantedElsewhere(9), false);
    a.feed.presence(9, false, 12);
    await turns();
    assert.equal(b.relay.onlineElsewhere(9), false);
  });

  test('spec §5.10 a device that moved: the node that recorded it last has the word', async () => {
    const bus = new MemoryBus();
    const a = bus.node('a');
    const b = bus.node('b');
    await turns();
    a.feed.presence(9, true, 1);
    await turns();
    // Reconnected to b; a writes no Offline for it (held elsewhere), then b records it offline.
    b.feed.presence(9, true, 2);
    await turns();
    assert.equal(b.relay.onlineElsewhere(9), false);
    assert.equal(a.relay.onlineElsewhere(9), true);
    b.feed.presence(9, false, 3);
    await turns();
    assert.equal(a.relay.onlineElsewhere(9), false);
    assert.equal(b.relay.onlineElsewhere(9), false);
  });

  test('the send queue is bounded: past it changes are dropped and counted', async () => {
    const bus = new MemoryBus();
    const a = bus.node('a', { maxQueuedChanges: 10, changesPerMessage: 4 });
    await turns();
    bus.stalled = true;
    for (let i = 0; i < 30; i++) a.feed.presence(i, true, i);
    await turns();
    // One message of 4 is stuck in flight; 10 wait; the rest were dropped.
    assert.equal(a.relay.counts.dropped, 30 - 10);
  });

  test('channel lost: own streams keep their changes, what was sent is lost and counted; a rejoin re-learns presence', async () => {
    const bus = new MemoryBus();
    const a = bus.node('a');
    const b = bus.node('b');
    await turns();
    a.feed.presence(1, true, 1);
    await turns();
    bus.down = true;
    const onA: DeviceChange[] = [];
    a.feed.subscribe(2, (c) => onA.push(c));
    a.feed.presence(2, true, 2);
    a.feed.presence(1, false, 3);
    await turns();
    assert.deepEqual(onA, [{ kind: 'online', connected: true, at: 2 }]);
    assert.equal(a.relay.counts.lost, 2);
    assert.equal(b.relay.onlineElsewhere(1), true, 'stale until the channel is back');
    bus.down = false;
    b.relay.joined(); // b's subscriber reconnected: asks everyone for their state
    await turns(10);
    assert.equal(b.relay.onlineElsewhere(1), false);
    assert.equal(b.relay.onlineElsewhere(2), true);
  });

  test('a node that goes silent is forgotten; one that says bye at once', async () => {
    let now = 0;
    const bus = new MemoryBus();
    const a = bus.node('a');
    const feed = new DeviceFeed();
    const b = new FeedRelay({
      nodeId: 'b',
      feed,
      bus: bus.busFor(),
      logger,
      limits: { beatMs: 20, silentAfterMs: 1000 },
      now: () => now,
    });
    b.start();
    bus.relays.push(b);
    b.joined();
    a.feed.presence(4, true, 1);
    await turns();
    assert.equal(b.onlineElsewhere(4), true);
    now = 5000;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(b.onlineElsewhere(4), false);
    b.joined();
    await turns(10);
    assert.equal(b.onlineElsewhere(4), true);
    await a.relay.close();
    await turns();
    assert.equal(b.onlineElsewhere(4), false);
    await b.close();
  });
});
