import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  decodePairs,
  encodePairs,
  FRAME_HEADER_BYTES,
  FrameError,
  FrameReader,
  FrameType,
  FrameWriter,
  MAX_DATA_PAYLOAD,
  MAX_FRAME_PAYLOAD,
} from '../../../src/mqtt/transport/socket-workers/frames.js';

interface Frame {
  readonly type: number;
  readonly id: number;
  readonly payload: Buffer;
}

/** Everything a writer puts on its pipe, once the writes of this tick are flushed. */
function capture(): { writer: FrameWriter; bytes: () => Buffer } {
  const pipe = new PassThrough();
  const chunks: Buffer[] = [];
  pipe.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { writer: new FrameWriter(pipe), bytes: () => Buffer.concat(chunks) };
}

function readAll(bytes: Buffer, cuts: readonly number[] = []): Frame[] {
  const frames: Frame[] = [];
  const reader = new FrameReader((type, id, payload) =>
    frames.push({ type, id, payload: Buffer.from(payload) }),
  );
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    reader.push(bytes.subarray(from, cut));
    from = cut;
  }
  reader.push(bytes.subarray(from));
  return frames;
}

/** What the writer makes of a frame sequence: consecutive data frames of one connection join. */
function mergeData(frames: readonly { type: number; id: number; payload: Uint8Array }[]): Frame[] {
  const merged: Frame[] = [];
  for (const frame of frames) {
    const last = merged.at(-1);
    if (frame.type === FrameType.data && last?.type === FrameType.data && last.id === frame.id) {
      merged[merged.length - 1] = { ...last, payload: Buffer.concat([last.payload, frame.payload]) };
    } else merged.push({ type: frame.type, id: frame.id, payload: Buffer.from(frame.payload) });
  }
  return merged;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('socket worker frames (decision 0006)', () => {
  test('frames written in one tick arrive in order, whatever way the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.constantFrom(FrameType.data, FrameType.open, FrameType.end, FrameType.pause),
            id: fc.integer({ min: 0, max: 0xffff_ffff }),
            payload: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 40 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (frames, rawCuts) => {
          const { writer, bytes } = capture();
          for (const frame of frames) writer.send(frame.type, frame.id, frame.payload);
          await tick();
          const all = bytes();
          const cuts = rawCuts.map((cut) => (all.length === 0 ? 0 : cut % all.length));
          const read = readAll(all, cuts);
          assert.deepEqual(
            read.map((f) => [f.type, f.id, [...f.payload]]),
            mergeData(frames).map((f) => [f.type, f.id, [...f.payload]]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('writes larger than one data frame are split into 64 KiB frames and arrive whole', async () => {
    const { writer, bytes } = capture();
    const big = Buffer.alloc(3 * MAX_DATA_PAYLOAD + 123);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    writer.send(FrameType.data, 7, big);
    await tick();
    const frames = readAll(bytes(), [1000, 70_000, 150_000]);
    assert.equal(frames.length, 4);
    assert.ok(frames.every((f) => f.id === 7 && f.payload.length <= MAX_DATA_PAYLOAD));
    assert.deepEqual(Buffer.concat(frames.map((f) => f.payload)), big);
  });

  test('a frame announcing more than the limit is a corrupt stream (FrameError), not a huge allocation', () => {
    const reader = new FrameReader(() => assert.fail('no frame expected'));
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD + 1, 0);
    header[4] = FrameType.data;
    assert.throws(() => reader.push(header), FrameError);
  });

  test('backlogs frames carry (id, bytes) pairs; an odd-length payload is rejected', () => {
    const seen: number[] = [];
    decodePairs(encodePairs([1, 100, 0xffff_ffff, 7]), (id, bytes) => seen.push(id, bytes));
    assert.deepEqual(seen, [1, 100, 0xffff_ffff, 7]);
    assert.throws(() => decodePairs(Buffer.alloc(12), () => undefined), FrameError);
  });

  test('data for one connection queued in one turn travels as one frame; other frames keep their order', async () => {
    const { writer, bytes } = capture();
    writer.send(FrameType.data, 1, Buffer.from('a'));
    writer.send(FrameType.data, 1, Buffer.from('b'));
    writer.send(FrameType.data, 2, Buffer.from('c'));
    writer.send(FrameType.data, 1, Buffer.from('d'));
    writer.send(FrameType.end, 1);
    writer.send(FrameType.data, 1, Buffer.from('e'));
    await tick();
    assert.deepEqual(
      readAll(bytes()).map((f) => `${f.type}:${f.id}:${f.payload}`),
      ['2:1:ab', '2:2:c', '2:1:d', '5:1:', '2:1:e'],
    );
  });

  test('frames queued in one tick go out in one write', async () => {
    const pipe = new PassThrough();
    let writes = 0;
    const write = pipe.write.bind(pipe);
    pipe.write = ((chunk: Buffer) => {
      writes++;
      return write(chunk);
    }) as typeof pipe.write;
    const writer = new FrameWriter(pipe);
    for (let i = 0; i < 100; i++) writer.send(FrameType.data, i, Buffer.from('packet'));
    await tick();
    assert.equal(writes, 1);
  });
});
