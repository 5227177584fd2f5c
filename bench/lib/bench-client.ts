import { connect as netConnect, type Socket } from 'node:net';
import { PacketDecoder } from '../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../src/mqtt/codec/encoder.js';
import type { Packet, QoS } from '../../src/mqtt/codec/packet.js';
import { nowMicros } from './clock.js';
import { type Frame, fillPuback, readFrame } from './wire.js';

/** Where a client reports what it receives; one per worker, shared by its clients. */
export interface ClientSink {
  /** A PUBLISH arrived; the payload is `buf[offset, offset + length)`. */
  onPublish(buf: Buffer, offset: number, length: number): void;
  /** One of our QoS 1 PUBLISHes was acknowledged after `micros`. */
  onAck(micros: number): void;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Loopback source address (127.0.0.x) so many connections do not exhaust one address's ports. */
  readonly source: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly keepalive: number;
  readonly timeoutMs: number;
  /** Clean session (default true); false keeps the session and its queue while disconnected. */
  readonly clean?: boolean;
}

const PINGREQ = Buffer.from([0xc0, 0]);
const DISCONNECT = Buffer.from([0xe0, 0]);
const MAX_PACKET = 16 * 1024 * 1024;

/**
 * A minimal MQTT 3.1.1 client over one raw socket. Control packets go through the project's
 * encoder/decoder; PUBLISH and PUBACK, the per-message traffic, are read in place from the frame
 * so the generator stays far cheaper per message than any broker it measures.
 */
export class BenchClient {
  socket: Socket | undefined;
  /** Unacknowledged QoS 1 PUBLISHes we sent, and when (µs), by packet id. */
  inflight = 0;
  private sentAt: Float64Array | undefined;
  closed = false;
  private nextPacketId = 0;
  private rest: Buffer | undefined;
  private readonly frame: Frame = { type: 0, flags: 0, bodyOffset: 0, total: 0 };
  /** Made on first use: idle connections by the ten thousand should stay small. */
  private decoder: PacketDecoder | undefined;
  private waiters: Array<(packet: Packet) => boolean> = [];
  private onFailure: ((err: Error) => void) | undefined;
  /** Called when the socket can take more after a write returned false. */
  onDrain: (() => void) | undefined;

  constructor(private readonly sink: ClientSink) {}

  /** Opens the socket and completes CONNECT; resolves with the CONNACK return code. */
  connect(options: ConnectOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('CONNACK timeout')), options.timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.destroy();
        reject(err);
      };
      this.onFailure = fail;
      const socket = netConnect({ host: options.host, port: options.port, localAddress: options.source });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('error', (err) => this.onFailure?.(err));
      socket.on('close', () => {
        this.closed = true;
        this.onFailure?.(new Error('connection closed'));
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('drain', () => this.onDrain?.());
      this.waiters.push((packet) => {
        if (packet.cmd !== 'connack') return false;
        clearTimeout(timer);
        this.onFailure = undefined;
        resolve(packet.returnCode ?? 0);
        return true;
      });
      socket.write(encodePacket(connectPacket(options), 4));
    });
  }

  subscribe(filters: readonly string[], qos: QoS): Promise<number[]> {
    const messageId = this.allocateId();
    return new Promise((resolve, reject) => {
      this.onFailure = reject;
      this.waiters.push((packet) => {
        if (packet.cmd !== 'suback' || packet.messageId !== messageId) return false;
        this.onFailure = undefined;
        resolve(packet.granted as number[]);
        return true;
      });
      const subscriptions = filters.map((topic) => ({ topic, qos }));
      this.socket!.write(encodePacket({ cmd: 'subscribe', messageId, subscriptions }, 4));
    });
  }

  /** PINGREQ round trip, µs. */
  ping(): Promise<number> {
    const start = nowMicros();
    return new Promise((resolve) => {
      this.waiters.push((packet) => {
        if (packet.cmd !== 'pingresp') return false;
        resolve(nowMicros() - start);
        return true;
      });
      this.socket!.write(PINGREQ);
    });
  }

  /** A packet id for a QoS 1 PUBLISH, recording its send time. */
  takePacketId(stamp: number): number {
    this.nextPacketId = this.nextPacketId >= 65_535 ? 1 : this.nextPacketId + 1;
    this.sentAt ??= new Float64Array(65_536);
    this.sentAt[this.nextPacketId] = stamp;
    this.inflight++;
    return this.nextPacketId;
  }

  /** Writes; false when the socket buffer is over its high-water mark (wait for onDrain). */
  write(bytes: Buffer): boolean {
    if (this.closed || this.socket === undefined) return false;
    return this.socket.write(bytes);
  }

  /** Sends DISCONNECT and closes; resolves once the socket is closed. */
  close(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    this.onFailure = undefined;
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end(DISCONNECT);
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private allocateId(): number {
    this.nextPacketId = this.nextPacketId >= 65_535 ? 1 : this.nextPacketId + 1;
    return this.nextPacketId;
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    const frame = this.frame;
    let off = 0;
    let acks: Buffer | undefined;
    let ackCount = 0;
    while (off < buf.length && readFrame(buf, off, frame)) {
      if (frame.type === 3) {
        const qos = (frame.flags >> 1) & 3;
        const topicLength = buf.readUInt16BE(frame.bodyOffset);
        let payload = frame.bodyOffset + 2 + topicLength;
        if (qos > 0) {
          acks ??= Buffer.allocUnsafe(4 * 256);
          if (ackCount * 4 >= acks.length) {
            this.write(acks.subarray(0, ackCount * 4));
            acks = Buffer.allocUnsafe(4 * 256);
            ackCount = 0;
          }
          fillPuback(acks, ackCount++ * 4, buf.readUInt16BE(payload));
          payload += 2;
        }
        this.sink.onPublish(buf, payload, off + frame.total - payload);
      } else if (frame.type === 4) {
        const id = buf.readUInt16BE(frame.bodyOffset);
        this.inflight--;
        this.sink.onAck(nowMicros() - (this.sentAt?.[id] ?? 0));
      } else {
        this.control(buf.subarray(off, off + frame.total));
      }
      off += frame.total;
    }
    this.rest = off < buf.length ? buf.subarray(off) : undefined;
    if (acks !== undefined && ackCount > 0) this.write(acks.subarray(0, ackCount * 4));
  }

  private control(bytes: Buffer): void {
    this.decoder ??= new PacketDecoder({ maxPacketSize: MAX_PACKET, protocolVersion: 4 });
    for (const packet of this.decoder.push(bytes)) {
      const index = this.waiters.findIndex((waiter) => waiter(packet));
      if (index >= 0) this.waiters.splice(index, 1);
    }
  }
}

function connectPacket(options: ConnectOptions): Packet {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: options.clean ?? true,
    clientId: options.clientId,
    keepalive: options.keepalive,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: Buffer.from(options.password) }),
  };
}
