import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, test } from 'node:test';
import type { WebSocket } from 'ws';
import { webSocketDuplex } from '../../../src/mqtt/transport/websocket-duplex.js';

type SendCallback = (err?: Error) => void;

/** Just enough of a ws WebSocket to drive the adapter deterministically. */
class FakeWebSocket extends EventEmitter {
  readyState = 1; // OPEN
  isPaused = false;
  pauses = 0;
  resumes = 0;
  readonly sent: Buffer[] = [];
  readonly callbacks: SendCallback[] = [];
  closedWith: number | undefined;
  terminated = false;

  pause(): void {
    this.isPaused = true;
    this.pauses += 1;
  }
  resume(): void {
    this.isPaused = false;
    this.resumes += 1;
  }
  send(data: Buffer, options: { binary: boolean }, callback: SendCallback): void {
    assert.equal(options.binary, true);
    this.sent.push(data);
    this.callbacks.push(callback);
  }
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  binary(data: Buffer): void {
    this.emit('message', data, true);
  }
}

function adapter() {
  const ws = new FakeWebSocket();
  const duplex = webSocketDuplex(ws as unknown as WebSocket);
  duplex.on('error', () => undefined);
  return { ws, duplex };
}

describe('WebSocket duplex adapter', () => {
  test('[MQTT-6.0.0-2] frames are one byte stream; a slow reader pauses the socket until it reads', () => {
    const { ws, duplex } = adapter();
    const chunk = Buffer.alloc(10 * 1024, 1);
    ws.binary(chunk);
    assert.equal(ws.pauses, 0);
    ws.binary(chunk); // 20 KiB buffered > 16 KiB high-water mark
    assert.equal(ws.pauses, 1);
    const all = duplex.read() as Buffer;
    assert.equal(all.length, 20 * 1024);
    assert.equal(duplex.read(), null); // asks for more
    assert.equal(ws.resumes, 1);
    assert.equal(ws.isPaused, false);
  });

  test('writes complete only when ws has sent them; corked writes go out as one binary frame', async () => {
    const { ws, duplex } = adapter();
    duplex.cork();
    duplex.write(Buffer.from([1, 2]));
    duplex.write(Buffer.from([3]));
    duplex.uncork();
    assert.deepEqual(ws.sent, [Buffer.from([1, 2, 3])]);
    duplex.write(Buffer.from([4]));
    assert.equal(ws.sent.length, 1, 'next write waits for the previous send');
    assert.equal(duplex.writableLength, 4, 'in-flight and queued bytes both count');
    ws.callbacks[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ws.sent[1], Buffer.from([4]));
    const full = !duplex.write(Buffer.alloc(32 * 1024));
    assert.equal(full, true, 'write() reports backpressure above the high-water mark');
    const drained = once(duplex, 'drain');
    for (const callback of ws.callbacks.slice(1)) callback();
    await new Promise((resolve) => setImmediate(resolve));
    ws.callbacks.at(-1)!();
    await drained;
  });

  test('[MQTT-6.0.0-1] a text frame closes the WebSocket with 1003', () => {
    const { ws, duplex } = adapter();
    ws.emit('message', Buffer.from('hi'), false);
    assert.equal(ws.closedWith, 1003);
    assert.equal(duplex.destroyed, true);
  });

  test('peer close ends the stream after buffered bytes are read; end() closes, destroy() terminates', async () => {
    const { ws, duplex } = adapter();
    ws.binary(Buffer.from('tail'));
    ws.readyState = 3;
    ws.emit('close', 1000);
    const chunks: Buffer[] = [];
    duplex.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(duplex, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'tail');

    const second = adapter();
    second.duplex.end();
    await once(second.duplex, 'finish');
    assert.equal(second.ws.closedWith, 1000);
    second.duplex.destroy();
    assert.equal(second.ws.terminated, true);
  });
});
