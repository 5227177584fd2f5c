import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../../../broker/auth.js';
import type { Logger } from '../../../observability/logger.js';
import type { ConnectionHandler } from '../types.js';
import type { RemoteConnectionInfo } from './control.js';
import { decodePairs, FrameReader, FrameType, FrameWriter } from './frames.js';
import { RemoteStream, type RemoteStreamLink } from './remote-stream.js';

/**
 * The frames the broker may have queued for one worker before the worker is deemed stuck and
 * the link is torn down (its connections close; the pool starts a new worker). Per connection,
 * the queue is bounded far lower by the write-buffer limit (`maxWriteBufferBytes`).
 */
const MAX_LINK_BACKLOG_BYTES = 256 * 1024 * 1024;

function toConnectionInfo(payload: Buffer): ConnectionInfo {
  const remote = JSON.parse(payload.toString('utf8')) as RemoteConnectionInfo;
  return {
    transport: remote.transport === 'tls' ? 'tls' : 'tcp',
    ...(typeof remote.remoteAddress === 'string' ? { remoteAddress: remote.remoteAddress } : {}),
    ...(typeof remote.remotePort === 'number' ? { remotePort: remote.remotePort } : {}),
    ...(typeof remote.localPort === 'number' ? { localPort: remote.localPort } : {}),
  };
}

/** The broker's end of one socket worker's frame pipe: frames ⇄ remote streams. */
export class WorkerLink implements RemoteStreamLink {
  readonly #streams = new Map<number, RemoteStream>();
  readonly #writer: FrameWriter;
  readonly #reader: FrameReader;
  #closed = false;

  constructor(
    private readonly pipe: Duplex,
    private readonly onConnection: ConnectionHandler,
    private readonly logger: Logger,
  ) {
    this.#writer = new FrameWriter(pipe);
    this.#reader = new FrameReader((type, id, payload) => this.#onFrame(type, id, payload));
    pipe.on('data', (chunk: Buffer) => {
      try {
        this.#reader.push(chunk);
      } catch (err) {
        this.logger.error({ err }, 'socket worker sent a corrupt frame; dropping its connections');
        this.close();
      }
    });
    pipe.on('error', (err) => this.logger.debug({ err: err.message }, 'socket worker pipe error'));
    pipe.on('close', () => this.close());
  }

  /** Connections currently routed through this worker. */
  get size(): number {
    return this.#streams.size;
  }

  /** Tears the link down: every connection of the worker reads as closed. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams.values()]) stream.remoteClosed();
    this.pipe.destroy();
  }

  #onFrame(type: number, id: number, payload: Buffer): void {
    switch (type) {
      case FrameType.data:
        this.#streams.get(id)?.received(payload);
        return;
      case FrameType.backlogs:
        decodePairs(payload, (stream, bytes) => this.#streams.get(stream)?.backlog(bytes));
        return;
      case FrameType.open:
        this.#open(id, payload);
        return;
      case FrameType.closed:
        this.#streams.get(id)?.remoteClosed();
        return;
      default:
        this.logger.warn({ type }, 'unknown frame type from a socket worker');
    }
  }

  #open(id: number, payload: Buffer): void {
    if (this.#closed) return;
    const stream = new RemoteStream(this, id);
    this.#streams.get(id)?.remoteClosed(); // a reused id: the old stream is long gone
    this.#streams.set(id, stream);
    this.onConnection(stream, toConnectionInfo(payload));
  }

  // RemoteStreamLink

  write(id: number, bytes: Uint8Array): void {
    this.#send(FrameType.data, id, bytes);
  }

  end(id: number): void {
    this.#send(FrameType.end, id);
  }

  destroy(id: number): void {
    this.#send(FrameType.destroy, id);
  }

  pause(id: number): void {
    this.#send(FrameType.pause, id);
  }

  resume(id: number): void {
    this.#send(FrameType.resume, id);
  }

  forget(id: number): void {
    this.#streams.delete(id);
  }

  #send(type: FrameType, id: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    if (this.#writer.backlog > MAX_LINK_BACKLOG_BYTES) {
      this.logger.error(
        { backlog: this.#writer.backlog },
        'socket worker stopped reading; dropping its connections',
      );
      this.close();
      return;
    }
    this.#writer.send(type, id, payload);
  }
}
