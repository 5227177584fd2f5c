import type { Socket } from 'node:net';
import { peerOf } from '../peer.js';
import type { RemoteConnectionInfo, WorkerListenerSpec } from './control.js';
import { encodePairs, FrameReader, FrameType, FrameWriter, MAX_PAIRS_PER_FRAME } from './frames.js';

/** Above this many bytes queued for the broker, sockets that send more stop being read. */
const PIPE_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** A socket's write backlog is reported when it moved by this much since the last report, or emptied. */
const BACKLOG_REPORT_STEP = 16 * 1024;
const MAX_ID = 0xffff_ffff;

interface ConnectionState {
  readonly id: number;
  readonly listenerId: number;
  /** The write backlog last reported to the broker. */
  reported: number;
  /** Paused by the broker (its backpressure) / by us (the pipe to the broker is full). */
  brokerPaused: boolean;
  stalled: boolean;
  /** Made on the first write: idle connections do not pay for it. */
  onWritten: (() => void) | undefined;
}

const STATE = Symbol('socketWorkerConnection');
type WorkerSocket = Socket & { [STATE]: ConnectionState };

/**
 * The open connections of a socket worker and their relay to the broker over the frame pipe.
 * It knows nothing of MQTT: the broker process does all of it, keepalive and connect timeouts
 * included.
 */
export class WorkerSockets {
  readonly #connections = new Map<number, WorkerSocket>();
  readonly #stalled = new Set<WorkerSocket>();
  /** Sockets written while one pipe chunk is read: uncorked after it, one write each. */
  readonly #corked = new Set<WorkerSocket>();
  readonly #writer: FrameWriter;
  readonly #reader: FrameReader;
  #nextId = 0;
  #backlogs: number[] = [];
  #backlogsScheduled = false;

  constructor(pipe: Socket) {
    this.#writer = new FrameWriter(pipe);
    this.#reader = new FrameReader((type, id, payload) => this.#onFrame(type, id, payload));
    pipe.on('data', (chunk: Buffer) => {
      try {
        this.#reader.push(chunk);
      } finally {
        for (const socket of this.#corked) socket.uncork();
        this.#corked.clear();
      }
    });
    pipe.on('drain', () => this.#unstall());
  }

  /** A connection (after its TLS handshake) the broker is told about and gets the bytes of. */
  open(opened: Socket, spec: WorkerListenerSpec): void {
    const socket = opened as WorkerSocket;
    const id = this.#allocateId();
    socket[STATE] = {
      id,
      listenerId: spec.listenerId,
      reported: 0,
      brokerPaused: false,
      stalled: false,
      onWritten: undefined,
    };
    this.#connections.set(id, socket);
    socket.setNoDelay(true);
    socket.on('data', this.#onSocketData);
    socket.on('close', this.#onSocketClose);
    socket.on('error', ignoreSocketError); // 'close' follows
    // The PROXY header's client address when the listener takes one (read in this worker).
    const peer = peerOf(socket);
    const info: RemoteConnectionInfo = {
      transport: spec.transport,
      ...(peer.address === undefined ? {} : { remoteAddress: peer.address }),
      ...(peer.port === undefined ? {} : { remotePort: peer.port }),
      localPort: spec.port,
    };
    this.#writer.send(FrameType.open, id, Buffer.from(JSON.stringify(info)));
  }

  /** Destroys the open connections of a listener (server shutdown). */
  destroyListener(listenerId: number): void {
    for (const socket of this.#connections.values()) {
      if (socket[STATE].listenerId === listenerId) socket.destroy();
    }
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
    this.#writer.send(FrameType.closed, state.id);
  }

  #onFrame(type: number, id: number, payload: Buffer): void {
    const socket = this.#connections.get(id);
    if (socket === undefined) return; // closed meanwhile: the broker learns it from `closed`
    const state = socket[STATE];
    switch (type) {
      case FrameType.data:
        state.onWritten ??= () => this.#reportBacklog(socket);
        if (!this.#corked.has(socket)) {
          socket.cork();
          this.#corked.add(socket);
        }
        socket.write(payload, state.onWritten);
        this.#reportBacklog(socket);
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

  /**
   * Tells the broker how much of what it wrote this socket still holds (what a local socket's
   * `writableLength` would say), when that moved by a step or emptied: one frame per turn.
   */
  #reportBacklog(socket: WorkerSocket): void {
    const state = socket[STATE];
    const backlog = socket.writableLength;
    const moved = Math.abs(backlog - state.reported);
    if (moved === 0 || (backlog > 0 && moved < BACKLOG_REPORT_STEP)) return;
    state.reported = backlog;
    this.#backlogs.push(state.id, backlog);
    if (!this.#backlogsScheduled) {
      this.#backlogsScheduled = true;
      setImmediate(() => this.#sendBacklogs());
    }
  }

  #sendBacklogs(): void {
    this.#backlogsScheduled = false;
    const pairs = this.#backlogs;
    this.#backlogs = [];
    for (let at = 0; at < pairs.length; at += MAX_PAIRS_PER_FRAME * 2) {
      this.#writer.send(FrameType.backlogs, 0, encodePairs(pairs.slice(at, at + MAX_PAIRS_PER_FRAME * 2)));
    }
  }
}

function ignoreSocketError(): void {}
