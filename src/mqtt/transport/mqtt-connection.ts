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

/** The connection a stream belongs to: the stream's listeners are shared, not per-connection closures. */
const CONNECTION = Symbol('mqttConnection');
type OwnedStream = TransportStream & { [CONNECTION]?: MqttConnection };

/** Runs MQTT on a transport stream until it closes (the transports' connection handler). */
export function acceptMqttConnection(broker: Broker, stream: TransportStream, info: ConnectionInfo): void {
  const connection = new MqttConnection(stream, info, broker);
  if (!broker.attach(connection)) stream.destroy(); // shutting down
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
  private corked = false;
  private endTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** Made only when someone waits for the close (server shutdown). */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  /** Keepalive in wheel ticks; 0 while connecting (the wheel then holds the connect deadline) or when off. */
  private keepaliveTicks = 0;
  /** The tick in which bytes last came in (kept while a keepalive runs). */
  private lastSeen = 0;
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
      this[CONNECTION]!.onData(chunk);
    },
    drain(this: OwnedStream): void {
      this[CONNECTION]!.applyBackpressure();
    },
    error(this: OwnedStream, err: Error): void {
      const connection = this[CONNECTION]!;
      connection.broker.logger.debug({ err, clientId: connection.channel.clientId }, 'transport error');
    },
    close(this: OwnedStream): void {
      this[CONNECTION]!.transportClosed();
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
    if (packets.length > 0) {
      this.pending ??= new Denque();
      for (const packet of packets) this.pending.push(packet);
    }
    this.pump();
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
        void result.finally(() => {
          this.busy = false;
          this.pump();
        });
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
    const writeBlocked = this.stream.writableLength > this.broker.limits.maxWriteBufferBytes;
    const pending = this.pending?.length ?? 0;
    if (!this.paused && (pending >= limit || writeBlocked)) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && pending < limit / 2 && !writeBlocked) {
      this.paused = false;
      this.stream.resume();
    }
  }

  // ChannelSink

  write(bytes: Buffer): void {
    if (this.isClosed) return;
    if (!this.corked) {
      // Batch every packet written in this tick into one syscall.
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.stream.write(bytes);
    if (!this.paused && this.stream.writableLength > this.broker.limits.maxWriteBufferBytes) {
      this.applyBackpressure();
    }
  }

  bufferedBytes(): number {
    return this.stream.writableLength;
  }

  end(): void {
    if (this.isClosed) return;
    this.clearTimers();
    this.stream.end();
    this.endTimer = setTimeout(() => this.stream.destroy(), END_GRACE_MS);
    this.endTimer.unref();
  }

  setKeepalive(ms: number): void {
    deadlines.remove(this);
    this.keepaliveTicks = ms > 0 ? Math.ceil(ms / deadlines.tickMs) : 0;
    if (ms <= 0) return;
    this.lastSeen = deadlines.now();
    this.wheelAt = deadlines.after(ms);
    deadlines.insert(this);
  }

  connected(): void {
    deadlines.remove(this);
  }

  /** The wheel's call at the deadline: keepalive moved on, or expired [MQTT-3.1.2-24]; or connect timeout. */
  wheelDue(now: number): number {
    if (this.keepaliveTicks === 0) {
      this.channel.connectTimedOut();
      return -1;
    }
    // +1: `lastSeen` is the tick the bytes came in, which may have started up to a tick earlier.
    const due = this.lastSeen + this.keepaliveTicks + 1;
    if (due > now) return due;
    this.channel.keepaliveExpired();
    return -1;
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
  }
}
