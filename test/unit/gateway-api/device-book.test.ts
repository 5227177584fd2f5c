import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeviceBook } from '../../../src/gateway-api/device-book.js';

describe('gateway device book: entries, and the token each device id maps back to', () => {
  test('find looks without marking a use; noteUse returns the one entry the token keeps', () => {
    const book = new DeviceBook(2);
    const first = book.noteUse('t1', 1);
    book.noteUse('t2', 2);
    assert.equal(book.find('t1'), first);
    book.noteUse('t3', 3); // t1 is the least recently used: find did not count as a use
    assert.equal(book.find('t1'), undefined);
    assert.equal(book.tokenFor(1), undefined);
    const again = book.noteUse('t3', 3);
    assert.equal(book.noteUse('t3', 3), again, 'the same entry while the token names the same device');
    assert.notEqual(book.noteUse('t3', 4), again, 'a token naming another device starts afresh');
    assert.equal(book.tokenFor(3), undefined, 'the old device no longer maps back to that token');
    assert.equal(book.tokenFor(4), 't3');
  });

  test('spec §9 a device used under a new token maps back to the newest one; forgetting the old keeps it', () => {
    const book = new DeviceBook(10);
    book.noteUse('old', 7);
    book.noteUse('new', 7);
    assert.equal(book.tokenFor(7), 'new');
    assert.deepEqual(book.revoke('old'), []);
    assert.equal(book.tokenFor(7), 'new');
    book.noteUse('old', 7);
    assert.equal(book.tokenFor(7), 'old');
    book.revoke('old');
    assert.equal(book.tokenFor(7), undefined, 'the token it mapped to is gone');
  });

  test('a subscription keeps the entry a publish made (and what it remembers)', () => {
    const book = new DeviceBook(10);
    const entry = book.noteUse('t1', 1);
    entry.checkedAt = 5;
    assert.equal(book.addFilter('t1', 1, 'dev/t1/#'), entry);
    assert.equal(book.noteUse('t1', 1), entry);
    assert.equal(book.find('t1')?.checkedAt, 5);
    book.prune(() => false);
    assert.equal(book.find('t1'), entry, 'back to publish-only, still the same entry');
    assert.equal(book.tokenFor(1), 't1');
  });

  test('publish-only tokens stay bounded under a round robin over more tokens than the bound', () => {
    const book = new DeviceBook(100);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 150; i++) book.noteUse(`t${i}`, i);
    assert.equal(book.size, 100);
    assert.equal(book.tokenFor(49), undefined);
    assert.equal(book.tokenFor(50), 't50');
  });
});

describe('gateway device book: the devices a connection acted for (console gateway list)', () => {
  test('one entry per device, most recently active first, at most max; untouched entries are left out', () => {
    const book = new DeviceBook(100);
    book.noteUse('a', 1).activeAt = 10;
    book.noteUse('b', 2).activeAt = 30;
    book.noteUse('c', 1).activeAt = 20; // device 1 under a second token: the later time counts
    book.addFilter('d', 3, 'dev/d/downlink/#').activeAt = 25;
    book.noteUse('e', 4); // resolved but never marked active
    assert.deepEqual(book.recentlyActive(10), [
      { deviceId: 2, lastActiveAt: 30 },
      { deviceId: 3, lastActiveAt: 25 },
      { deviceId: 1, lastActiveAt: 20 },
    ]);
    assert.deepEqual(
      book.recentlyActive(2).map((d) => d.deviceId),
      [2, 3],
    );
    assert.deepEqual(book.recentlyActive(0), []);
  });
});
