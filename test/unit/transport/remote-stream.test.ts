import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  RemoteStream,
  type RemoteStreamLink,
} from '../../../src/mqtt/transport/socket-workers/remote-stream.js';

/** Records what the stream asked of its link. */
class LinkLog implements RemoteStreamLink {
  readonly calls: string[] = [];
  readonly written: Buffer[] = [];
  write(id: number, bytes: Uint8Array): void {
    this.calls.push(`write ${id} ${bytes.length}`);
    this.written.push(Buffer.from(bytes));
  }
  end(id: number): void {
    this.calls.push(`end ${id}`);
  }
  destroy(id: number): void {
    this.calls.push(`destroy ${id}`);
  }
  pause(id: number): void {
    this.calls.push(`pause ${id}`);
  }
  resume(id: number): void {
    this.calls.push(`resume ${id}`);
  }
  forget(id: number): void {
    this.calls.push(`forget ${id}`);
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('remote stream (a socket in a socket worker, decision 0006)', () => {
  test('writableLength is the backlog the worker reports for its socket; drain when it falls', () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 3);
    let drains = 0;
    stream.on('drain', () => drains++);
    assert.equal(stream.write(Buffer.alloc(10_000)), true);
    assert.equal(stream.writableLength, 0, 'bytes in the pipe count as handed to the kernel');
    stream.backlog(40_000);
    assert.equal(stream.writableLength, 40_000);
    assert.equal(stream.write(Buffer.alloc(10)), false, 'above the 16 KiB high-water mark');
    assert.equal(drains, 0);
    stream.backlog(20_000);
    assert.equal(drains, 1, 'each fall lets the owner re-check its write limit');
    stream.backlog(0);
    assert.equal(stream.writableLength, 0);
    assert.equal(drains, 2);
    assert.deepEqual(link.calls, ['write 3 10000', 'write 3 10']);
  });

  test('bytes received while paused are held and delivered in order on resume', () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 1);
    const got: string[] = [];
    stream.on('data', (chunk: Buffer) => got.push(chunk.toString()));
    stream.received(Buffer.from('a'));
    stream.pause();
    stream.received(Buffer.from('b'));
    stream.received(Buffer.from('c'));
    assert.deepEqual(got, ['a']);
    stream.resume();
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.deepEqual(link.calls, ['pause 1', 'resume 1']);
  });

  test('a paused stream holding more than its in-flight bound is destroyed (bounded buffer)', async () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 9);
    let closed = 0;
    stream.on('close', () => closed++);
    stream.pause();
    for (let i = 0; i < 5; i++) stream.received(Buffer.alloc(1024 * 1024));
    await nextTick();
    assert.equal(closed, 1);
    assert.ok(link.calls.includes('destroy 9'));
  });

  test('destroy tells the worker once and closes once; later frames and writes are ignored', async () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 4);
    let closed = 0;
    let data = 0;
    stream.on('close', () => closed++);
    stream.on('data', () => data++);
    stream.destroy();
    stream.destroy();
    stream.remoteClosed();
    stream.received(Buffer.from('late'));
    assert.equal(stream.write(Buffer.from('x')), false);
    await nextTick();
    assert.equal(closed, 1);
    assert.equal(data, 0);
    assert.deepEqual(link.calls, ['destroy 4', 'forget 4']);
  });

  test('writes while corked go to the link back to back at uncork (one frame), and before an end', () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 5);
    stream.cork();
    stream.write(Buffer.from('ab'));
    stream.write(Buffer.from('cde'));
    assert.deepEqual(link.calls, [], 'held while corked');
    stream.uncork();
    assert.deepEqual(link.calls, ['write 5 2', 'write 5 3']);
    stream.cork();
    stream.write(Buffer.from('f'));
    stream.end();
    assert.deepEqual(link.calls.slice(2), ['write 5 1', 'end 5']);
  });

  test('end is sent once and no write follows it', () => {
    const link = new LinkLog();
    const stream = new RemoteStream(link, 2);
    stream.write(Buffer.from('bye'));
    stream.end();
    stream.end();
    assert.equal(stream.write(Buffer.from('more')), false);
    assert.deepEqual(link.calls, ['write 2 3', 'end 2']);
  });
});
