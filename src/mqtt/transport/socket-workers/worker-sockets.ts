import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type {
  FromWorker,
  RemoteConnectionInfo,
  ToWorker,
  WorkerListenerSpec,
  WorkerTlsMaterial,
} from './control.js';
import { encodeAcks, FrameReader, FrameType, FrameWriter, MAX_ACKS_PER_FRAME } from './frames.js';

/** Above this many bytes queued for the broker, sockets that send more stop being read. */
const PIPE_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const MAX_ID = 0xffff_ffff;

interface ConnectionState {
  readonly id: number;
  readonly listenerId: number;
  /** False until the broker was told (`open`): TLS sockets open after their handshake. */
  opened: boolean;
  /** Bytes the broker sent for this socket, and how many of them were reported written. */
  written: number;
  acked: number;
  /** Paused by the broker (its backpressure) / by us (the pipe to the broker is full). */
  brokerPaused: boolean;
  stalled: boolean;
  /** Made on the first write: idle connections do not pay for it. */
  onWritten: (() => void) | undefined;
}

const STATE = Symbol('socketWorkerConnection');
type WorkerSocket = Socket & { [STATE]: ConnectionState };

interface ServedListener {
  readonly spec: WorkerListenerSpec;
  /** TLS: a server that never listens; handed sockets go through its handshake. */
  readonly tls: TlsServer | undefined;
}

/**
 * The socket side of a socket worker: adopts the connections the broker process accepted and
 * relays their bytes over the frame pipe. It knows nothing of MQTT; the broker process does
 * all of it, including keepalive and connect timeouts. TLS terminates here.
 */
export class WorkerSockets {
  readonly #connections = new Map<number, WorkerSocket>();
  readonly #listeners = new Map<number, ServedListener>();
  readonly #stalled = new Set<WorkerSocket>();
  readonly #writer: FrameWriter;
  readonly #reader: FrameReader;
  #nextId = 0;
  #acks: number[] = [];
  #acksScheduled = false;

  constructor(
    pipe: Socket,
    private readonly send: (message: FromWorker) => void,
  ) {
    this.#writer = new FrameWriter(pipe);
    this.#reader = new FrameReader((type, id, payload) => this.#onFrame(type, id, payload));
    pipe.on('data', (chunk: Buffer) => this.#reader.push(chunk));
    pipe.on('drain', () => this.#unstall());
  }

  /** A control message from the broker; `handle` is the socket of a `socket` message. */
  control(message: ToWorker, handle: unknown): void {
    switch (message.type) {
      case 'listener':
        this.#listeners.set(message.spec.listenerId, {
          spec: message.spec,
          tls: message.spec.transport === 'tls' ? this.#tlsServer(message.spec) : undefined,
        });
        return;
      case 'socket':
        this.#adopt(handle as Socket | undefined, message.listenerId);
        return;
      case 'close':
        this.#close(message.listenerId);
        return;
      case 'tls':
        this.#setTls(message.tls);
        return;
    }
  }

  #tlsServer(spec: WorkerListenerSpec): TlsServer {
    const server = createTlsServer({
      ...tlsOptions(spec.tls),
      ...(spec.handshakeTimeoutMs === undefined ? {} : { handshakeTimeout: spec.handshakeTimeoutMs }),
    });
    server.on('secureConnection', (socket: TLSSocket) => this.#open(socket as unknown as Socket));
    // Failed handshakes (scanners, plain MQTT on the TLS port) are not errors of ours.
    server.on('tlsClientError', () => undefined);
    return server;
  }

  #setTls(material: WorkerTlsMaterial): void {
    for (const served of this.#listeners.values()) served.tls?.setSecureContext(tlsOptions(material));
  }

  #close(listenerId: number): void {
    this.#listeners.delete(listenerId);
    for (const socket of this.#connections.values()) {
      if (socket[STATE].listenerId === listenerId) socket.destroy();
    }
    this.send({ type: 'closed', listenerId });
  }

  #adopt(handed: Socket | undefined, listenerId: number): void {
    const served = this.#listeners.get(listenerId);
    if (handed === undefined) return; // closed before it arrived
    if (served === undefined) {
      handed.destroy();
      return;
    }
    const socket = handed as WorkerSocket;
    const id = this.#allocateId();
    socket[STATE] = {
      id,
      listenerId,
      opened: false,
      written: 0,
      acked: 0,
      brokerPaused: false,
      stalled: false,
      onWritten: undefined,
    };
    this.#connections.set(id, socket);
    socket.setNoDelay(true);
    socket.on('close', this.#onSocketClose);
    socket.on('error', ignoreSocketError); // 'close' follows
    if (served.tls === undefined) {
      this.#open(socket);
      return;
    }
    // The TLS socket wraps this one and carries its state from here on.
    served.tls.emit('connection', socket);
  }

  /** Tells the broker about a connection (after the handshake with TLS) and starts relaying. */
  #open(opened: Socket): void {
    const tlsSocket = opened as TLSSocket & { _parent?: WorkerSocket };
    const raw = (tlsSocket._parent ?? opened) as WorkerSocket;
    const state = raw[STATE];
    const socket = opened as WorkerSocket;
    if (socket !== raw) {
      socket[STATE] = state;
      this.#connections.set(state.id, socket);
      raw.off('close', this.#onSocketClose);
      socket.on('close', this.#onSocketClose);
      socket.on('error', ignoreSocketError);
    }
    state.opened = true;
    socket.on('data', this.#onSocketData);
    const served = this.#listeners.get(state.listenerId);
    const info: RemoteConnectionInfo = {
      transport: served?.spec.transport ?? 'tcp',
      ...(socket.remoteAddress === undefined ? {} : { remoteAddress: socket.remoteAddress }),
      ...(socket.remotePort === undefined ? {} : { remotePort: socket.remotePort }),
    };
    this.#writer.send(FrameType.open, state.id, Buffer.from(JSON.stringify(info)));
  }

  #allocateId(): number {
    do {
      this.#nextId = this.#nextId >= MAX_ID ? 1 : this.#nextId + 1;
    } while (this.#connections.has(this.#nextId));
    return this.#nextId;
  }

  /** Shared by every socket (`this` is the socket): no closure per connection. */
  readonly #onSocketData = ((sockets: WorkerSockets) =>
    function (this: WorkerSocket, chunk: Buffer): void {
      sockets.#relay(this, chunk);
    })(this);

  readonly #onSocketClose = ((sockets: WorkerSockets) =>
    function (this: WorkerSocket): void {
      sockets.#closed(this);
    })(this);

  #relay(socket: WorkerSocket, chunk: Buffer): void {
    const state = socket[STATE];
    this.#writer.send(FrameType.data, state.id, chunk);
    if (this.#writer.backlog + chunk.length > PIPE_HIGH_WATER_BYTES && !state.stalled) {
      state.stalled = true;
      this.#stalled.add(socket);
      socket.pause();
    }
  }

  #unstall(): void {
    for (const socket of this.#stalled) {
      socket[STATE].stalled = false;
      if (!socket[STATE].brokerPaused) socket.resume();
    }
    this.#stalled.clear();
  }

  #closed(socket: WorkerSocket): void {
    const state = socket[STATE];
    this.#stalled.delete(socket);
    if (this.#connections.get(state.id) !== socket) return;
    this.#connections.delete(state.id);
    this.#writer.send(state.opened ? FrameType.closed : FrameType.dropped, state.id);
  }

  #onFrame(type: number, id: number, payload: Buffer): void {
    const socket = this.#connections.get(id);
    if (socket === undefined) return; // closed meanwhile: the broker learns it from `closed`
    const state = socket[STATE];
    switch (type) {
      case FrameType.data:
        state.written += payload.length;
        state.onWritten ??= () => this.#reportWritten(socket);
        socket.write(payload, state.onWritten);
        return;
      case FrameType.end:
        socket.end();
        return;
      case FrameType.destroy:
        socket.destroy();
        return;
      case FrameType.pause:
        state.brokerPaused = true;
        socket.pause();
        return;
      case FrameType.resume:
        state.brokerPaused = false;
        if (!state.stalled) socket.resume();
        return;
    }
  }

  /** Reports the bytes that left the socket's buffer since the last report (one frame per tick). */
  #reportWritten(socket: WorkerSocket): void {
    const state = socket[STATE];
    const flushed = state.written - state.acked - socket.writableLength;
    if (flushed <= 0) return;
    state.acked += flushed;
    this.#acks.push(state.id, flushed);
    if (!this.#acksScheduled) {
      this.#acksScheduled = true;
      process.nextTick(() => this.#sendAcks());
    }
  }

  #sendAcks(): void {
    this.#acksScheduled = false;
    const acks = this.#acks;
    this.#acks = [];
    for (let at = 0; at < acks.length; at += MAX_ACKS_PER_FRAME * 2) {
      this.#writer.send(FrameType.acks, 0, encodeAcks(acks.slice(at, at + MAX_ACKS_PER_FRAME * 2)));
    }
  }
}

function tlsOptions(material: WorkerTlsMaterial | undefined): {
  cert?: string;
  key?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
} {
  return material === undefined
    ? {}
    : { cert: material.cert, key: material.key, minVersion: material.minVersion };
}

function ignoreSocketError(): void {}
