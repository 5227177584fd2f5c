/** Raw byte streams to the server under test: TCP, or binary WebSocket messages on /mqtt. */
import { connect as netConnect } from 'node:net';
import { WebSocket } from 'ws';

export type TransportKind = 'tcp' | 'ws';

/** Bytes the server sent are kept up to this many (enough to see its answers). */
const KEEP_RECEIVED = 64 * 1024;

/** One open connection that the fuzzer writes raw bytes to. */
export interface RawStream {
  /** Resolves once the bytes are handed to the socket; never rejects (a closed peer is expected). */
  write(chunk: Buffer): Promise<void>;
  /** Polite close: FIN (TCP) or a close frame (WebSocket). */
  end(): void;
  /** Abrupt close: RST (TCP) or a dropped socket (WebSocket). */
  destroy(): void;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  received(): Buffer;
}

class Received {
  private chunks: Buffer[] = [];
  private size = 0;

  add(chunk: Buffer): void {
    if (this.size >= KEEP_RECEIVED) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  all(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function openTcp(port: number): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const received = new Received();
    let closed = false;
    const done = new Promise<void>((r) =>
      socket.once('close', () => {
        closed = true;
        r();
      }),
    );
    socket.on('data', (chunk: Buffer) => received.add(chunk));
    // Before 'connect' an error means the open failed; later errors only end the stream.
    socket.once('error', reject);
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.setNoDelay(true);
      resolve({
        write: (chunk) => new Promise((r) => (socket.writable ? socket.write(chunk, () => r()) : r())),
        end: () => socket.end(),
        destroy: () => socket.resetAndDestroy(),
        closed: done,
        isClosed: () => closed,
        received: () => received.all(),
      });
    });
  });
}

function openWs(port: number): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, ['mqtt']);
    const received = new Received();
    let closed = false;
    const done = new Promise<void>((r) =>
      ws.once('close', () => {
        closed = true;
        r();
      }),
    );
    ws.on('message', (data: Buffer) => received.add(data));
    ws.once('error', reject);
    ws.on('error', () => undefined);
    ws.once('open', () =>
      resolve({
        write: (chunk) =>
          new Promise((r) =>
            ws.readyState === WebSocket.OPEN ? ws.send(chunk, { binary: true }, () => r()) : r(),
          ),
        end: () => ws.close(),
        destroy: () => ws.terminate(),
        closed: done,
        isClosed: () => closed,
        received: () => received.all(),
      }),
    );
  });
}

export function openStream(kind: TransportKind, port: number): Promise<RawStream> {
  return kind === 'tcp' ? openTcp(port) : openWs(port);
}
