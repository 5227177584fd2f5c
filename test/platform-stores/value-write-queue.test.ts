import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type QueuedValueWrite, ValueWriteQueue } from '../../src/platform/sqlite/value-write-queue.js';

const point = (value: number) => ({ dataStreamId: 1, value, ts: value });

/** A commit that records its batches and fails any batch holding device 13. */
function recordingCommit() {
  const batches: number[][] = [];
  const commit = (batch: readonly QueuedValueWrite[]) => {
    if (batch.some((w) => w.deviceId === 13)) throw new Error('constraint failed');
    batches.push(batch.map((w) => w.deviceId));
    for (const w of batch) w.stored = w.deviceId !== 0;
  };
  return { batches, commit };
}

describe('ValueWriteQueue: group commit of value writes (bench scenario 2)', () => {
  test('writes of one event-loop turn commit in one batch, in issue order, each settled after it', async () => {
    const { batches, commit } = recordingCommit();
    const queue = new ValueWriteQueue(commit, 1000);
    const results = [
      queue.enqueue(1, [point(1)]),
      queue.enqueue(2, [point(2)]),
      queue.enqueue(0, [point(3)]),
    ];
    assert.equal(queue.pending, 3);
    assert.deepEqual(batches, [], 'nothing committed within the turn');
    assert.deepEqual(await Promise.all(results), [true, true, false]);
    assert.deepEqual(batches, [[1, 2, 0]]);
  });

  test('the queue is bounded: at maxPoints the batch commits at once', () => {
    const { batches, commit } = recordingCommit();
    const queue = new ValueWriteQueue(commit, 4);
    void queue.enqueue(1, [point(1), point(2)]);
    assert.deepEqual(batches, []);
    void queue.enqueue(2, [point(3), point(4)]);
    assert.deepEqual(batches, [[1, 2]], 'committed synchronously by the write that reached the bound');
    assert.equal(queue.pending, 0);
  });

  test('a failed batch is retried write by write: only the bad write rejects', async () => {
    const { batches, commit } = recordingCommit();
    const queue = new ValueWriteQueue(commit, 1000);
    const results = await Promise.allSettled([
      queue.enqueue(1, [point(1)]),
      queue.enqueue(13, [point(2)]),
      queue.enqueue(2, [point(3)]),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(batches, [[1], [2]]);
  });

  test('flush commits synchronously; a flush with nothing queued does nothing', async () => {
    const { batches, commit } = recordingCommit();
    const queue = new ValueWriteQueue(commit, 1000);
    queue.flush();
    const written = queue.enqueue(5, [point(1)]);
    queue.flush();
    assert.deepEqual(batches, [[5]]);
    assert.equal(await written, true);
  });
});
