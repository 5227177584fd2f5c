import Denque from 'denque';
import type { ConnectionInfo } from '../../broker/auth.js';
import type { Broker, ConnectionDescription } from '../../broker/broker.js';
import { PacketDecoder } from '../codec/decoder.js';
import type { Packet } from '../codec/packet.js';
import { Channel, type ChannelSink } from '../protocol/channel.js';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';
import type { TransportStream } from './types.js';

/** After we end a connection, how long the peer gets to close before the socket is destroyed. */
const END_GRACE_MS = 2000;

/**
 * Connect and keepalive deadlines of every connection in the process: deadlines are late by at
 * most ~0.3 s, never early; 1,024 slots of 100 ms cover keepalives up to 102 s in one revolution.
 */
const deadlines = new TimerWheel({ tickMs: 100, slots: 1024 });

/**
 * Bytes of one tick up to this size are joined into one buffer and written once (one `write`
 * syscall instead of a `writev` of many small chunks: a tick's PUBACKs are 4 bytes each). Past
 * it the chunks go out corked as a `writev`, so large payloads are not copied.
 */
const JOIN_LIMIT_BYTES = 64 * 1024;

/**
 * Connections holding bytes written in this tick, flushed by one `process.nextTick` for all of
 * them (not one callback per connection per tick: a device that waits for each PUBACK makes its
 * connection write once per tick, and there are thousands of those).
 */
const unflushed: MqttConnection[] = [];
let flushScheduled = false;

function flushConnections(): void {
  // A connection written to during the loop is appended and flushed by this same loop.
  for (let i = 0; i < unflushed.length; i++) unflushed[i]!.flushWrites();
  unflushed.length = 0;
  flushScheduled = false;
}

/** The connection a stream belongs to: the stream's listeners are shared, not per-connection closures. */
const CONNECTION = Symbol('mqttConnection');
type OwnedStream = TransportStream & { [CONNECTION]?: MqttConnection };

/** Runs MQTT on a transport stream until it closes (the transports' connection handler). */
export function acceptMqttConnection(broker: Broker, stream: TransportStream, info: ConnectionInfo): void {
  try {
    const connection = new MqttConnection(stream, info, broker);
    if (!broker.attach(connection)) stream.destroy(); // shutting down
  } catch (err) {
    // Runs in a listener's connection callback, where a throw would end the process.
    broker.metrics.connectionFailed('internal');
    broker.logger.error({ err, transport: info.transport }, 'accepting a connection failed: destroyed');
    stream.destroy();
  }
}

/**
 * The imperative shell around one channel: bytes in → decoder → channel (one packet at a time,
 * in order) → bytes out. Owns the socket, the keepalive and connect timers and read backpressure.
 */
export class MqttConnection implements ChannelSink, WheelEntry {
  private readonly channel: Channel;
  private readonly decoder: PacketDecoder;
  /**
   * Packets decoded but not yet handled: an O(1) FIFO (one chunk can hold thousands of small
   * PUBLISHes), made when packets arrive and dropped once empty, so idle connections hold none.
   */
  private pending: Denque<Packet> | undefined;
  private busy = false;
  private paused = false;
  /** Bytes written in this tick, not yet handed to the stream (first chunk, then the rest). */
  private outFirst: Buffer | undefined;
  private outRest: Buffer[] | undefined;
  private outBytes = 0;
  private endTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** Made only when someone waits for the close (server shutdown). */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  /** Keepalive in wheel ticks; 0 while connecting (the wheel then holds the connect deadline) or when off. */
  private keepaliveTicks = 0;
  /** The tick in which bytes last came in (kept while a keepalive runs). */
  private lastSeen = 0;
  /** CONNECT accepted: the connect deadline is over, keepalive and the incomplete-packet bound apply. */
  private accepted = false;
  /** The tick in which the incomplete packet the decoder holds began; -1 when it holds none. */
  private partialSince = -1;
  // WheelEntry: the wheel's links and due tick (timer-wheel.ts).
  wheelSlot = -1;
  wheelPrev: WheelEntry | undefined;
  wheelNext: WheelEntry | undefined;
  wheelAt = 0;

  constructor(
    private readonly stream: TransportStream,
    info: ConnectionInfo,
    private readonly broker: Broker,
  ) {
    this.decoder = new PacketDecoder({ maxPacketSize: broker.limits.maxPacketSize });
    this.channel = new Channel(broker, this, info);
    (stream as OwnedStream)[CONNECTION] = this;
    const listeners = MqttConnection.listeners;
    stream.on('close', listeners.close);
    stream.on('data', listeners.data);
    stream.on('drain', listeners.drain);
    stream.on('error', listeners.error);
    this.wheelAt = deadlines.after(broker.limits.connectTimeoutMs);
    deadlines.insert(this);
  }

  /** Stream listeners shared by every connection (`this` is the stream): no closures per connection. */
  private static readonly listeners = {
    data(this: OwnedStream, chunk: Buffer): void {
      const connection = this[CONNECTION]!;
      try {
        connection.onData(chunk);
      } catch (err) {
        connection.contain(err);
      }
    },
    drain(this: OwnedStream): void {
      const connection = this[CONNECTION]!;
      try {
        connection.applyBackpressure();
      } catch (err) {
        connection.contain(err);
      }
    },
    error(this: OwnedStream, err: Error): void {
      const connection = this[CONNECTION]!;
      connection.broker.logger.debug({ err, clientId: connection.channel.clientId }, 'transport error');
    },
    close(this: OwnedStream): void {
      const connection = this[CONNECTION]!;
      try {
        connection.transportClosed();
      } catch (err) {
        connection.contain(err);
      }
    },
  };

  /** Settles once the transport has closed. */
  get closed(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.closedPromise ??= new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    return this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed || this.channel.state === 'closed') return;
    this.broker.metrics.bytesReceived += chunk.length;
    if (this.keepaliveTicks > 0) this.lastSeen = deadlines.now();
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.pending = undefined;
      this.channel.fail(err);
      return;
    }
    if (this.accepted) this.trackPartialPacket(packets.length > 0);
    if (packets.length > 0) {
      this.pending ??= new Denque();
      for (const packet of packets) this.pending.push(packet);
    }
    this.pump();
  }

  /**
   * Bytes of an incomplete packet reset keepalive, so a client trickling one byte at a time
   * would stay forever: the packet must complete within `incompletePacketTimeoutMs` of its first
   * byte. One tick read per chunk and at most one wheel move per packet, never a timer per byte.
   */
  private trackPartialPacket(progressed: boolean): void {
    if (!this.decoder.holdsPartialPacket) {
      this.partialSince = -1;
      return;
    }
    if (this.partialSince >= 0 && !progressed) return; // the same packet, still incomplete
    this.restartPartialClock();
  }

  /** Times the incomplete packet from now (a new packet began, or reading resumed after our pause). */
  private restartPartialClock(): void {
    if (!this.accepted || !this.decoder.holdsPartialPacket) return;
    this.partialSince = deadlines.now();
    const due = this.partialSince + this.incompleteTicks() + 1;
    if (this.wheelSlot === -1 || due < this.wheelAt) {
      this.wheelAt = due;
      deadlines.insert(this);
    }
  }

  /** The incomplete-packet bound runs only while we read: a pause for backpressure is ours. */
  private partialDue(): number {
    return this.partialSince >= 0 && !this.paused ? this.partialSince + this.incompleteTicks() + 1 : -1;
  }

  private incompleteTicks(): number {
    return Math.ceil(this.broker.limits.incompletePacketTimeoutMs / deadlines.tickMs);
  }

  /**
   * The containment boundary of this connection: whatever fails while serving it closes it and
   * nothing else (the channel answers, logs and counts). Should even that fail, or the channel be
   * closed already, the failure is logged and counted here and the transport destroyed.
   */
  private contain(err: unknown): void {
    if (this.channel.state !== 'closed') {
      try {
        this.channel.fail(err);
        return;
      } catch (inner) {
        this.broker.logger.error({ err: inner, clientId: this.channel.clientId }, 'failure handling failed');
      }
    }
    this.broker.metrics.connectionFailed('internal');
    this.broker.logger.error({ err, clientId: this.channel.clientId }, 'connection failed: destroyed');
    this.stream.destroy();
  }

  /** An async handler settled (it never rejects: the channel turns rejections into `fail`). */
  private handlerSettled(): void {
    this.busy = false;
    try {
      this.pump();
    } catch (err) {
      this.contain(err);
    }
  }

  /** Hands packets to the channel one at a time; async handlers hold the line until they settle. */
  private pump(): void {
    while (!this.busy && this.pending !== undefined) {
      if (this.channel.state === 'closed') {
        this.pending = undefined;
        return;
      }
      const packet = this.pending.shift()!;
      if (this.pending.length === 0) this.pending = undefined;
      const result = this.channel.handle(packet);
      if (result instanceof Promise) {
        this.busy = true;
        const settled = (): void => this.handlerSettled();
        void result.then(settled, settled);
      }
    }
    this.applyBackpressure();
  }

  /**
   * Stops reading while too many packets wait for the channel, or while the peer does not read
   * what we write (a client sending QoS 1 without reading its PUBACKs must not grow our buffer).
   */
  private applyBackpressure(): void {
    const limit = this.broker.limits.maxPendingPackets;
    const writeBlocked = this.bufferedBytes() > this.broker.limits.maxWriteBufferBytes;
    const pending = this.pending?.length ?? 0;
    if (!this.paused && (pending >= limit || writeBlocked)) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && pending < limit / 2 && !writeBlocked) {
      this.paused = false;
      this.stream.resume();
      this.restartPartialClock(); // our pause is no delay of the client's
    }
  }

  // ChannelSink

  write(bytes: Buffer): void {
    if (this.isClosed) return;
    if (this.outFirst === undefined) {
      this.outFirst = bytes;
      unflushed.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushConnections);
      }
    } else {
      this.outRest ??= [];
      this.outRest.push(bytes);
    }
    this.outBytes += bytes.length;
    if (!this.paused && this.bufferedBytes() > this.broker.limits.maxWriteBufferBytes) {
      this.applyBackpressure();
    }
  }

  /** Hands this tick's bytes to the stream: one write, or a corked run of writes when large. */
  flushWrites(): void {
    const first = this.outFirst;
    const rest = this.outRest;
    const bytes = this.outBytes;
    this.outFirst = undefined;
    this.outRest = undefined;
    this.outBytes = 0;
    if (first === undefined || this.isClosed) return;
    try {
      if (rest === undefined) this.stream.write(first);
      else if (bytes <= JOIN_LIMIT_BYTES) this.stream.write(Buffer.concat([first, ...rest], bytes));
      else {
        this.stream.cork();
        this.stream.write(first);
        for (const chunk of rest) this.stream.write(chunk);
        this.stream.uncork();
      }
      // Paused for our own unflushed bytes: the stream may have taken them all, with no drain to come.
      if (this.paused) this.applyBackpressure();
    } catch (err) {
      this.contain(err);
    }
  }

  bufferedBytes(): number {
    return this.stream.writableLength + this.outBytes;
  }

  end(): void {
    if (this.isClosed) return;
    this.clearTimers();
    this.flushWrites(); // what this tick wrote goes before the FIN
    this.stream.end();
    this.endTimer = setTimeout(() => this.stream.destroy(), END_GRACE_MS);
    this.endTimer.unref();
  }

  destroy(): void {
    if (this.isClosed) return;
    this.clearTimers();
    this.stream.destroy();
  }

  setKeepalive(ms: number): void {
    deadlines.remove(this);
    this.keepaliveTicks = ms > 0 ? Math.ceil(ms / deadlines.tickMs) : 0;
    this.lastSeen = deadlines.now();
    // A packet already incomplete when CONNECT was accepted is timed from now.
    this.partialSince = this.decoder.holdsPartialPacket ? this.lastSeen : -1;
    const due = this.nextDue();
    if (due < 0) return;
    this.wheelAt = due;
    deadlines.insert(this);
  }

  connected(): void {
    deadlines.remove(this);
    this.accepted = true;
  }

  /** The earliest of the keepalive and incomplete-packet deadlines, in ticks; -1 when neither runs. */
  private nextDue(): number {
    // +1: `lastSeen` is the tick the bytes came in, which may have started up to a tick earlier.
    const keepalive = this.keepaliveTicks > 0 ? this.lastSeen + this.keepaliveTicks + 1 : -1;
    const partial = this.partialDue();
    if (keepalive < 0 || partial < 0) return Math.max(keepalive, partial);
    return Math.min(keepalive, partial);
  }

  /**
   * The wheel's call at a deadline: connect timeout; or keepalive expired [MQTT-3.1.2-24]; or an
   * incomplete packet too old; or a deadline that moved on (answered with the new tick).
   */
  wheelDue(now: number): number {
    try {
      return this.deadlineReached(now);
    } catch (err) {
      this.contain(err);
      return -1;
    }
  }

  private deadlineReached(now: number): number {
    if (!this.accepted) {
      this.channel.connectTimedOut();
      return -1;
    }
    if (this.keepaliveTicks > 0 && this.lastSeen + this.keepaliveTicks + 1 <= now) {
      this.channel.keepaliveExpired();
      return -1;
    }
    const partial = this.partialDue();
    if (partial >= 0 && partial <= now) {
      this.channel.incompletePacketExpired(this.broker.limits.incompletePacketTimeoutMs);
      return -1;
    }
    return this.nextDue();
  }

  /** Server shutdown: DISCONNECT 0x8B (v5), then wait for the socket to close. */
  shutdown(): Promise<void> {
    this.channel.shutdown();
    return this.closed;
  }

  /** For connection metrics: only accepted connections count. */
  describe(): ConnectionDescription | undefined {
    const channel = this.channel;
    if (channel.state !== 'connected') return undefined;
    const info = channel.info;
    return { transport: info.transport, port: info.localPort, protocolVersion: channel.protocolVersion };
  }

  private transportClosed(): void {
    this.isClosed = true;
    this.clearTimers();
    clearTimeout(this.endTimer);
    this.pending = undefined;
    this.channel.transportClosed();
    this.broker.detach(this);
    this.resolveClosed?.();
  }

  private clearTimers(): void {
    deadlines.remove(this);
    this.keepaliveTicks = 0;
    this.partialSince = -1;
  }
}
