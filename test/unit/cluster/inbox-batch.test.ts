import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeEnvelopeBatch, splitEnvelopeBatch } from '../../../src/cluster/redis/inbox-batch.js';

const parts = [Buffer.from('first'), Buffer.alloc(0), Buffer.from([0, 1, 2, 255])];
const encoded = encodeEnvelopeBatch(parts, 9);

test('inbox batch: envelopes come back in order, byte for byte (empty ones included)', () => {
  assert.equal(encoded[0], 1, 'format byte');
  assert.equal(encoded.length, 1 + 3 * 4 + 9);
  assert.deepEqual(splitEnvelopeBatch(encoded), { envelopes: parts });
});

test('inbox batch: a length that runs past the end keeps the envelopes before it and says why', () => {
  const split = splitEnvelopeBatch(encoded.subarray(0, encoded.length - 1));
  assert.deepEqual(split.envelopes, parts.slice(0, 2));
  assert.match(split.error ?? '', /runs past the end/);
  const prefixCut = splitEnvelopeBatch(
    Buffer.concat([encodeEnvelopeBatch([parts[0] as Buffer], 5), Buffer.from([0, 0])]),
  );
  assert.deepEqual(prefixCut.envelopes, [parts[0]]);
  assert.match(prefixCut.error ?? '', /length prefix truncated/);
});

test('inbox batch: an unknown format or an empty value yields no envelope', () => {
  const other = Buffer.from(encoded);
  other[0] = 2;
  assert.deepEqual(splitEnvelopeBatch(other), { envelopes: [], error: 'unknown batch format 2' });
  assert.deepEqual(splitEnvelopeBatch(Buffer.alloc(0)), { envelopes: [], error: 'empty batch' });
  assert.deepEqual(splitEnvelopeBatch(Buffer.from([1])), { envelopes: [] });
});
