import { EventEmitter } from 'node:events';

/** What a remote stream asks of the link to its socket worker. */
export interface RemoteStreamLink {
  write(id: number, bytes: Uint8Array): void;
  end(id: number): void;
  destroy(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  /** The stream closed: its id is no longer routed. */
  forget(id: number): void;
}

/** `write` returns false from here on, as a net.Socket does above its high-water mark. */
const HIGH_WATER_BYTES = 16 * 1024;
/**
 * Bytes received while paused are held until `resume()`: only what was in flight before the
 * worker saw the pause. A connection holding more is misbehaving and is destroyed.
 */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

/**
 * A connection whose socket lives in a socket worker process: the subset of a net.Socket that
 * MqttConnection uses (data/drain/close events, writableLength, pause/resume, write/end/destroy).
 * `writableLength` is the backlog the worker last reported for its socket: what a local
 * socket's would be, so the write limits (QoS 0 drops, reading paused for a consumer that does
 * not read) work as with a local socket. Bytes on their way through the pipe count as handed
 * to the kernel, as the bytes a local socket wrote do.
 */
export class RemoteStream extends EventEmitter {
  #backlog = 0;
  /** Writes held while corked (undefined: not corked). */
  #corked: Uint8Array[] | undefined;
  #paused = false;
  #ended = false;
  #closed = false;
  #held: Buffer[] | undefined;
  #heldBytes = 0;

  constructor(
    private readonly link: RemoteStreamLink,
    readonly id: number,
  ) {
    super();
  }

  get writableLength(): number {
    return this.#backlog;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#ended) return false;
    if (this.#corked === undefined) this.link.write(this.id, bytes);
    else this.#corked.push(bytes);
    return this.#backlog < HIGH_WATER_BYTES;
  }

  /**
   * Holds writes until `uncork`, then hands them to the link back to back, where they join one
   * frame: the deliveries a connection gets in one tick reach its socket as one write, as with
   * a corked local socket (otherwise frames of other connections would interleave them).
   */
  cork(): void {
    this.#corked ??= [];
  }

  uncork(): void {
    const held = this.#corked;
    this.#corked = undefined;
    if (held === undefined || this.#closed) return;
    for (const bytes of held) this.link.write(this.id, bytes);
  }

  pause(): this {
    if (!this.#paused && !this.#closed) {
      this.#paused = true;
      this.link.pause(this.id);
    }
    return this;
  }

  resume(): this {
    if (!this.#paused || this.#closed) return this;
    this.#paused = false;
    this.link.resume(this.id);
    const held = this.#held;
    this.#held = undefined;
    this.#heldBytes = 0;
    if (held !== undefined) for (const chunk of held) this.received(chunk);
    return this;
  }

  end(): this {
    if (!this.#ended && !this.#closed) {
      this.uncork();
      this.#ended = true;
      this.link.end(this.id);
    }
    return this;
  }

  destroy(): this {
    if (this.#closed) return this;
    this.link.destroy(this.id);
    this.remoteClosed();
    return this;
  }

  // From the link

  received(chunk: Buffer): void {
    if (this.#closed) return;
    if (!this.#paused) {
      this.emit('data', chunk);
      return;
    }
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > MAX_HELD_BYTES) {
      this.destroy();
      return;
    }
    if (this.#held === undefined) this.#held = [chunk];
    else this.#held.push(chunk);
  }

  /** The worker's socket holds `bytes` not yet taken by the kernel; 'drain' when that fell. */
  backlog(bytes: number): void {
    const fell = bytes < this.#backlog;
    this.#backlog = bytes;
    if (fell && !this.#closed) this.emit('drain');
  }

  /** The socket is gone (closed by the peer, the worker, or destroy()). 'close' comes next tick. */
  remoteClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = undefined;
    this.link.forget(this.id);
    process.nextTick(emitClose, this);
  }
}

function emitClose(stream: RemoteStream): void {
  stream.emit('close');
}
