import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../../broker/auth.js';
import type { Broker, ConnectionDescription } from '../../broker/broker.js';
import { PacketDecoder } from '../codec/decoder.js';
import type { Packet } from '../codec/packet.js';
import { Channel, type ChannelSink } from '../protocol/channel.js';

/** After we end a connection, how long the peer gets to close before the socket is destroyed. */
const END_GRACE_MS = 2000;

/** Runs MQTT on a transport stream until it closes (the transports' connection handler). */
export function acceptMqttConnection(broker: Broker, stream: Duplex, info: ConnectionInfo): void {
  const connection = new MqttConnection(stream, info, broker);
  const detach = broker.attach(connection);
  if (detach === undefined) {
    stream.destroy(); // shutting down
    return;
  }
  void connection.closed.then(detach);
}

/**
 * The imperative shell around one channel: bytes in → decoder → channel (one packet at a time,
 * in order) → bytes out. Owns the socket, the keepalive and connect timers and read backpressure.
 */
export class MqttConnection implements ChannelSink {
  private readonly channel: Channel;
  private readonly decoder: PacketDecoder;
  private readonly pending: Packet[] = [];
  private busy = false;
  private paused = false;
  private corked = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** Settles once the transport has closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly stream: Duplex,
    info: ConnectionInfo,
    private readonly broker: Broker,
  ) {
    this.decoder = new PacketDecoder({ maxPacketSize: broker.limits.maxPacketSize });
    this.channel = new Channel(broker, this, info);
    this.closed = new Promise((resolve) => {
      stream.once('close', () => {
        this.onClosed();
        resolve();
      });
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => this.applyBackpressure());
    stream.on('error', (err) =>
      broker.logger.debug({ err, clientId: this.channel.clientId }, 'transport error'),
    );
    this.connectTimer = setTimeout(() => this.channel.connectTimedOut(), broker.limits.connectTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed || this.channel.state === 'closed') return;
    this.broker.metrics.bytesReceived += chunk.length;
    this.keepaliveTimer?.refresh();
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.pending.length = 0;
      this.channel.fail(err);
      return;
    }
    for (const packet of packets) this.pending.push(packet);
    this.pump();
  }

  /** Hands packets to the channel one at a time; async handlers hold the line until they settle. */
  private pump(): void {
    while (!this.busy && this.pending.length > 0) {
      if (this.channel.state === 'closed') {
        this.pending.length = 0;
        return;
      }
      const result = this.channel.handle(this.pending.shift()!);
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
    if (!this.paused && (this.pending.length >= limit || writeBlocked)) {
      this.paused = true;
      this.stream.pause();
    } else if (this.paused && this.pending.length < limit / 2 && !writeBlocked) {
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
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = ms > 0 ? setTimeout(() => this.channel.keepaliveExpired(), ms) : undefined;
  }

  connected(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
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
    return { transport: channel.info.transport, protocolVersion: channel.protocolVersion };
  }

  private onClosed(): void {
    this.isClosed = true;
    this.clearTimers();
    clearTimeout(this.endTimer);
    this.pending.length = 0;
    this.channel.transportClosed();
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.keepaliveTimer);
    this.connectTimer = undefined;
    this.keepaliveTimer = undefined;
  }
}
