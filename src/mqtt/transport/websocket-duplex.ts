import { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';

/** WebSocket close code for a frame type we do not accept (RFC 6455 §7.4.1). */
const UNSUPPORTED_DATA = 1003;

/** The stream a WebSocket feeds: its listeners are shared, not closures per connection. */
const STREAM = Symbol('webSocketStream');
type OwnedWebSocket = WebSocket & { [STREAM]?: WebSocketStream };

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
  return new WebSocketStream(ws);
}

class WebSocketStream extends Duplex {
  /** WebSocket listeners shared by every stream (`this` is the WebSocket). */
  private static readonly listeners = {
    message(this: OwnedWebSocket, data: RawData, isBinary: boolean): void {
      const stream = this[STREAM]!;
      if (stream.destroyed) return;
      if (!isBinary) {
        // [MQTT-6.0.0-1] MQTT Control Packets travel in binary frames only; close on anything else.
        this.close(UNSUPPORTED_DATA, 'binary frames only');
        stream.destroy();
        return;
      }
      if (!stream.push(toBuffer(data))) this.pause();
    },
    close(this: OwnedWebSocket): void {
      const stream = this[STREAM]!;
      if (!stream.destroyed) stream.push(null);
    },
    error(this: OwnedWebSocket, err: Error): void {
      this[STREAM]!.destroy(err);
    },
  };

  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    (ws as OwnedWebSocket)[STREAM] = this;
    const listeners = WebSocketStream.listeners;
    ws.on('message', listeners.message);
    ws.on('close', listeners.close); // ws emits each of these once: no `once` wrappers needed
    ws.on('error', listeners.error);
  }

  override _read(): void {
    if (this.ws.isPaused && this.ws.readyState === WebSocket.OPEN) this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    send(this.ws, chunk, callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    send(this.ws, Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.ws.close(1000);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    callback(err);
  }
}

function send(ws: WebSocket, data: Buffer, callback: (err?: Error | null) => void): void {
  if (ws.readyState !== WebSocket.OPEN) {
    callback(new Error('websocket is not open'));
    return;
  }
  ws.send(data, { binary: true }, callback);
}
