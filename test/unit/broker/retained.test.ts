import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrokerMessage } from '../../../src/broker/message.js';
import { RetainedMessages } from '../../../src/broker/retained.js';
import type { RetainedStore } from '../../../src/broker/store-ports.js';

const NOW = 1_000_000;

function msg(topic: string, payload = 'v', expiresAt?: number): BrokerMessage {
  return {
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: true,
    properties: {},
    createdAt: NOW - 1,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** A RetainedStore that records the calls made to it. */
class RecordingStore implements RetainedStore {
  readonly calls: string[] = [];
  async loadAll(): Promise<BrokerMessage[]> {
    return [];
  }
  put(message: BrokerMessage): void {
    this.calls.push(`put ${message.topic}=${message.payload.toString()}`);
  }
  delete(topic: string): void {
    this.calls.push(`delete ${topic}`);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

const topics = (ms: readonly BrokerMessage[]): string[] => ms.map((m) => m.topic).sort();

describe('RetainedMessages', () => {
  const stocked = (): RetainedMessages => {
    const r = new RetainedMessages(undefined, 100);
    for (const t of ['a', 'a/b', 'a/b/c', 'a/c', 'b/x', '$SYS/up', '/lead', 'a//e']) r.set(msg(t));
    return r;
  };

  const table: Array<[filter: string, expected: string[]]> = [
    ['a/b', ['a/b']],
    ['a/z', []],
    ['a/+', ['a/b', 'a/c']],
    ['a/#', ['a', 'a/b', 'a/b/c', 'a/c', 'a//e']],
    ['+/+', ['/lead', 'a/b', 'a/c', 'b/x']],
    ['#', ['/lead', 'a', 'a/b', 'a/b/c', 'a/c', 'a//e', 'b/x']],
    ['$SYS/#', ['$SYS/up']],
    ['+/up', []],
    ['a/+/e', ['a//e']],
    ['+', ['a']],
  ];
  for (const [filter, expected] of table) {
    test(`[MQTT-3.3.1-6 / 4.7] match '${filter}'`, () => {
      assert.deepEqual(topics(stocked().match(filter, NOW)), [...expected].sort());
    });
  }

  test('[MQTT-3.3.1-5] set replaces the retained message of a topic', () => {
    const store = new RecordingStore();
    const r = new RetainedMessages(store, 10);
    assert.equal(r.set(msg('t', 'one')), true);
    assert.equal(r.set(msg('t', 'two')), true);
    assert.equal(r.size, 1);
    assert.deepEqual(
      r.match('t', NOW).map((m) => m.payload.toString()),
      ['two'],
    );
    assert.deepEqual(store.calls, ['put t=one', 'put t=two']);
  });

  test('[MQTT-3.3.1-10/11] an empty payload clears the topic (store delete only when something was there)', () => {
    const store = new RecordingStore();
    const r = new RetainedMessages(store, 10);
    r.set(msg('t'));
    assert.equal(r.set(msg('t', '')), true);
    assert.equal(r.set(msg('never', '')), true);
    assert.equal(r.size, 0);
    assert.deepEqual(store.calls, ['put t=v', 'delete t']);
  });

  test('[limits.maxRetainedMessages] a new topic beyond the quota is refused; replacing and clearing still work', () => {
    const r = new RetainedMessages(undefined, 2);
    assert.equal(r.set(msg('a')), true);
    assert.equal(r.set(msg('b')), true);
    assert.equal(r.set(msg('c')), false);
    assert.equal(r.set(msg('a', 'new')), true, 'replacement at the quota');
    assert.equal(r.set(msg('b', '')), true);
    assert.equal(r.set(msg('c')), true, 'room again after a clear');
    assert.deepEqual(topics(r.match('#', NOW)), ['a', 'c']);
  });

  test('[MQTT-3.3.2-5] expired retained messages are skipped and dropped (exact and wildcard lookups)', () => {
    const store = new RecordingStore();
    const r = new RetainedMessages(store, 10);
    r.set(msg('x/live', 'v', NOW + 1));
    r.set(msg('x/dead', 'v', NOW));
    r.set(msg('y', 'v', NOW - 5));
    assert.deepEqual(topics(r.match('x/#', NOW)), ['x/live']);
    assert.deepEqual(r.match('y', NOW), []);
    assert.equal(r.size, 1);
    assert.deepEqual(store.calls.slice(3), ['delete x/dead', 'delete y']);
  });

  test('load restores messages without writing them back to the store', () => {
    const store = new RecordingStore();
    const r = new RetainedMessages(store, 10);
    r.load([msg('a'), msg('b')]);
    assert.equal(r.size, 2);
    assert.deepEqual(store.calls, []);
  });
});
