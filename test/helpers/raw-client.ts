import { connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { generate, type IConnackPacket, type IConnectPacket, type Packet, parser } from 'mqtt-packet';
import { splitFrames } from './frames.js';
import { WAIT_MS, within } from './wait.js';

/** A packet the server sent, decoded, with its exact bytes. */
export type Received = Packet & { readonly raw: Buffer };

/** What `expectClosed` saw: every packet the server sent before closing. */
export interface Closed {
  readonly packets: Received[];
  readonly disconnect?: Received & { cmd: 'disconnect' };
}

/**
 * A bare TCP MQTT client for what `mqtt` will not send: packets are written as given (objects via
 * mqtt-packet's `generate`, or raw bytes); the server's bytes are split by fixed header and decoded.
 */
export class RawClient {
  version: 3 | 4 | 5 = 4;
  readonly received: Received[] = [];
  /** Bytes that did not decode as a valid packet (server bugs show up here). */
  readonly undecodable: Buffer[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private cursor = 0;
  private pendingBytes: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.wake?.();
        resolve();
      });
    });
  }

  /** Opens a TCP connection to the server; destroyed after the test. */
  static async open(t: TestContext, port: number): Promise<RawClient> {
    return new RawClient(await openTcpSocket(t, port));
  }

  /** Opens a connection and completes CONNECT/CONNACK; fails unless the CONNACK is a success. */
  static async connected(
    t: TestContext,
    port: number,
    connect: Partial<IConnectPacket> = {},
  ): Promise<{ raw: RawClient; connack: IConnackPacket }> {
    const raw = await RawClient.open(t, port);
    const connack = await raw.handshake(connect);
    const code = connack.reasonCode ?? connack.returnCode ?? 0;
    if (code !== 0) throw new Error(`CONNACK refused with 0x${code.toString(16)}`);
    return { raw, connack };
  }

  /** Sends CONNECT (defaults: v4, clean, keepalive 0, unique id) and returns the CONNACK. */
  async handshake(connect: Partial<IConnectPacket> = {}): Promise<IConnackPacket> {
    const packet: IConnectPacket = {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: `raw-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
      ...connect,
    };
    this.version = packet.protocolVersion ?? 4;
    this.send(packet);
    return (await this.expect('connack')) as IConnackPacket;
  }

  /** Encodes a packet for this connection's protocol version and writes it. */
  send(packet: Packet): void {
    this.sendRaw(generate(packet, { protocolVersion: this.version }));
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes.replace(/\s+/g, ''), 'hex') : bytes);
  }

  /** Half of a socket's life: end our side (FIN) without DISCONNECT. */
  end(): void {
    this.socket.end();
  }

  /** Stops reading from the socket (the server's writes back up); `resume()` undoes it. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Abrupt close without DISCONNECT. */
  destroy(): void {
    this.socket.destroy();
  }

  /** The next packet from the server, whatever it is. */
  async next(ms = WAIT_MS): Promise<Received> {
    const deadline = Date.now() + ms;
    while (this.cursor >= this.received.length) {
      if (this.isClosed) throw new Error(`connection closed while waiting for a packet (${this.describe()})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for a packet`);
      await within(
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
        left,
        'a packet from the server',
      );
    }
    const packet = this.received[this.cursor]!;
    this.cursor += 1;
    return packet;
  }

  /** The next packet, which must be of type `cmd`. */
  async expect<C extends Packet['cmd']>(
    cmd: C,
    ms = WAIT_MS,
  ): Promise<Extract<Packet, { cmd: C }> & Received> {
    const packet = await this.next(ms);
    if (packet.cmd !== cmd) throw new Error(`expected ${cmd}, got ${packet.cmd}: ${describePacket(packet)}`);
    return packet as Extract<Packet, { cmd: C }> & Received;
  }

  /** Skips other packets until one of type `cmd` arrives. */
  async waitFor<C extends Packet['cmd']>(
    cmd: C,
    ms = WAIT_MS,
  ): Promise<Extract<Packet, { cmd: C }> & Received> {
    const deadline = Date.now() + ms;
    for (;;) {
      const packet = await this.next(Math.max(1, deadline - Date.now()));
      if (packet.cmd === cmd) return packet as Extract<Packet, { cmd: C }> & Received;
    }
  }

  /** Waits for the server to close the connection; returns the packets it sent meanwhile. */
  async expectClosed(ms = WAIT_MS): Promise<Closed> {
    await within(this.closed, ms, `the server to close the connection (got ${this.describe()})`);
    const packets = this.received.slice(this.cursor);
    this.cursor = this.received.length;
    const disconnect = packets.find((p) => p.cmd === 'disconnect') as Closed['disconnect'];
    return disconnect === undefined ? { packets } : { packets, disconnect };
  }

  /** Asserts the connection stays open and silent for `ms`. */
  async expectOpenAndQuiet(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.isClosed) throw new Error('connection was closed');
    if (this.cursor < this.received.length) throw new Error(`unexpected packets: ${this.describe()}`);
  }

  private onData(chunk: Buffer): void {
    const { frames, rest } = splitFrames(Buffer.concat([this.pendingBytes, chunk]));
    this.pendingBytes = rest;
    for (const frame of frames) {
      const packet = decodeFrame(frame, this.version);
      if (packet === undefined) this.undecodable.push(frame);
      else this.received.push(Object.assign(packet, { raw: frame }));
    }
    this.wake?.();
  }

  private describe(): string {
    return this.received.slice(this.cursor).map(describePacket).join(', ') || 'nothing';
  }
}

/** One frame decoded by mqtt-packet (the reference decoder); undefined when it will not decode. */
export function decodeFrame(frame: Buffer, version: 3 | 4 | 5): Packet | undefined {
  const p = parser({ protocolVersion: version });
  let packet: Packet | undefined;
  p.on('packet', (decoded: Packet) => {
    packet = decoded;
  });
  p.on('error', () => undefined);
  p.parse(frame);
  return packet;
}

/** Short text for failure messages. */
/** A connected loopback TCP socket (no Nagle delay), destroyed after the test. */
export async function openTcpSocket(t: TestContext, port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  t.after(() => {
    socket.destroy();
  });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    WAIT_MS,
    'TCP connect',
  );
  socket.setNoDelay(true);
  return socket;
}

export function describePacket(packet: Packet): string {
  const { cmd } = packet;
  const rc =
    'reasonCode' in packet && packet.reasonCode !== undefined
      ? ` rc=0x${packet.reasonCode.toString(16)}`
      : '';
  return `${cmd}${rc}`;
}
