import { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';

/** WebSocket close code for a frame type we do not accept (RFC 6455 §7.4.1). */
const UNSUPPORTED_DATA = 1003;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A byte stream over one WebSocket. MQTT packets may be split across or packed into frames
 * [MQTT-6.0.0-2], so frames are simply concatenated on read; queued writes are batched into
 * one binary frame. Backpressure both ways: reading pauses the socket while the consumer is
 * behind; a write completes only once ws handed it to the socket.
 */
export function webSocketDuplex(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      if (ws.isPaused && ws.readyState === WebSocket.OPEN) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      send(ws, chunk, callback);
    },
    writev(chunks, callback) {
      send(ws, Buffer.concat(chunks.map((c) => c.chunk as Buffer)), callback);
    },
    final(callback) {
      ws.close(1000);
      callback();
    },
    destroy(err, callback) {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      callback(err);
    },
  });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (duplex.destroyed) return;
    if (!isBinary) {
      // [MQTT-6.0.0-1] MQTT Control Packets travel in binary frames only; close on anything else.
      ws.close(UNSUPPORTED_DATA, 'binary frames only');
      duplex.destroy();
      return;
    }
    if (!duplex.push(toBuffer(data))) ws.pause();
  });
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null);
  });
  ws.once('error', (err) => duplex.destroy(err));
  return duplex;
}

function send(ws: WebSocket, data: Buffer, callback: (err?: Error | null) => void): void {
  if (ws.readyState !== WebSocket.OPEN) {
    callback(new Error('websocket is not open'));
    return;
  }
  ws.send(data, { binary: true }, callback);
}
