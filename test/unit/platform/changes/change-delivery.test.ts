import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeDelivery } from '../../../../src/platform/changes/change-feed.js';
import {
  encodeChange,
  type PlatformChange,
  parseChange,
} from '../../../../src/platform/changes/platform-change.js';

test('change payloads are kind:id; anything else is ignored, never trusted', () => {
  for (const change of [
    { kind: 'org', id: 1 },
    { kind: 'template', id: 42 },
    { kind: 'device', id: 9_007_199_254 },
    { kind: 'oauth-client', id: 7 },
    { kind: 'resync' },
  ] as PlatformChange[]) {
    assert.deepEqual(parseChange(encodeChange(change)), change);
  }
  for (const junk of [
    '',
    'org',
    'org:',
    'org:x',
    'user:1',
    'device:-1',
    'device:1.5',
    `org:${'1'.repeat(16)}`,
  ]) {
    assert.equal(parseChange(junk), undefined, junk);
  }
});

test('changes are held until a handler subscribes, then handed over one at a time in order', async () => {
  const delivery = new ChangeDelivery();
  delivery.push({ kind: 'org', id: 1 });
  delivery.push({ kind: 'device', id: 2 });
  const seen: string[] = [];
  let inside = 0;
  delivery.subscribe(async (change) => {
    inside++;
    assert.equal(inside, 1, 'one change at a time');
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(encodeChange(change));
    inside--;
  });
  delivery.push({ kind: 'template', id: 3 });
  await delivery.settled();
  assert.deepEqual(seen, ['org:1', 'device:2', 'template:3']);
});

test('a full queue collapses into one resync; the same change twice in a row is handed over once', async () => {
  const delivery = new ChangeDelivery(undefined, 3);
  for (let id = 1; id <= 5; id++) delivery.push({ kind: 'device', id });
  delivery.push({ kind: 'org', id: 1 });
  delivery.push({ kind: 'org', id: 1 });
  const seen: string[] = [];
  delivery.subscribe((change) => {
    seen.push(encodeChange(change));
  });
  await delivery.settled();
  assert.deepEqual(seen, ['resync', 'device:5', 'org:1']);
});

test('a handler that fails does not stop the next change or the other handlers', async () => {
  const delivery = new ChangeDelivery();
  const seen: string[] = [];
  delivery.subscribe((change) => {
    if (change.kind === 'org') throw new Error('store down');
  });
  delivery.subscribe((change) => {
    seen.push(encodeChange(change));
  });
  delivery.push({ kind: 'org', id: 1 });
  delivery.push({ kind: 'device', id: 2 });
  await delivery.settled();
  assert.deepEqual(seen, ['org:1', 'device:2']);
});
