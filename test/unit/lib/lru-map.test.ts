import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruMap } from '../../../src/lib/lru-map.js';

test('spec §4.2 bounded token book: LruMap keeps use order (oldest first) like a re-inserting Map', () => {
  let seed = 11;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const lru = new LruMap<number, number>();
  const model = new Map<number, number>();
  for (let step = 0; step < 5000; step++) {
    const key = random(12);
    const op = random(6);
    if (op === 0 || op === 1) {
      lru.set(key, step);
      model.delete(key);
      model.set(key, step);
    } else if (op === 2) {
      assert.equal(lru.delete(key), model.delete(key), `step ${step}`);
    } else if (op === 4) {
      // touch: a use moves the entry to the newest end
      const value = model.get(key);
      if (value !== undefined) {
        model.delete(key);
        model.set(key, value);
      }
      assert.equal(lru.touch(key), value, `step ${step}`);
    } else if (op === 5) {
      // replace: a new value in place, the order unchanged
      const had = model.has(key);
      if (had) model.set(key, -step);
      assert.equal(lru.replace(key, -step), had, `step ${step}`);
    } else {
      assert.equal(lru.get(key), model.get(key), `step ${step}`);
    }
    assert.equal(lru.size, model.size, `step ${step}`);
    assert.equal(lru.oldest(), model.keys().next().value, `step ${step}`);
  }
});
