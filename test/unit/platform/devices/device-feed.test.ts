import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DeviceChange, DeviceFeed } from '../../../../src/platform/devices/device-feed.js';

const point = (value: number) => ({ dataStreamId: 1, value, ts: 1000 + value });

describe('device feed (decision 0025)', () => {
  test('listeners hear only their device, in order, until they unsubscribe', () => {
    const feed = new DeviceFeed();
    const heard: DeviceChange[] = [];
    const other: DeviceChange[] = [];
    const stop = feed.subscribe(7, (c) => heard.push(c));
    feed.subscribe(8, (c) => other.push(c));
    feed.values(7, [point(1), point(2)]);
    feed.presence(7, true, 5);
    feed.event({ id: 3, deviceId: 7, eventId: 1, code: 'alarm', description: '', ts: 9 }, 'WARNING');
    feed.values(9, [point(3)]);
    assert.deepEqual(heard, [
      { kind: 'value', dataStreamId: 1, value: 1, ts: 1001 },
      { kind: 'value', dataStreamId: 1, value: 2, ts: 1002 },
      { kind: 'online', connected: true, at: 5 },
      {
        kind: 'event',
        record: { id: 3, deviceId: 7, eventId: 1, code: 'alarm', description: '', ts: 9 },
        type: 'WARNING',
      },
    ]);
    assert.equal(other.length, 0);
    assert.equal(feed.size, 2);
    stop();
    stop(); // idempotent
    assert.equal(feed.size, 1);
    feed.values(7, [point(4)]);
    assert.equal(heard.length, 4);
  });

  test('a listener that throws or unsubscribes while called does not keep the others from hearing', () => {
    const errors: unknown[] = [];
    const feed = new DeviceFeed((err) => errors.push(err));
    const heard: number[] = [];
    const stopSelf: { stop?: () => void } = {};
    stopSelf.stop = feed.subscribe(1, () => {
      heard.push(1);
      stopSelf.stop?.();
    });
    feed.subscribe(1, () => {
      throw new Error('listener bug');
    });
    feed.subscribe(1, () => heard.push(3));
    feed.values(1, [point(1)]);
    feed.values(1, [point(2)]);
    assert.deepEqual(heard, [1, 3, 3]);
    assert.equal(errors.length, 2);
    assert.equal(feed.size, 2);
  });
});
