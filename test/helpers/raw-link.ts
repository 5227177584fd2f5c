import type { TestContext } from 'node:test';
import { generate, type Packet, parser } from 'mqtt-packet';
import { WebSocket } from 'ws';
import { openTcpSocket } from './raw-client.js';
import { WAIT_MS, within } from './wait.js';

/**
 * Raw bytes to the server over TCP or a WebSocket (`/mqtt`), the same way for both: for input the
 * `mqtt` client will not send (a second CONNECT, a malformed or half-sent packet). What the server
 * answers is decoded as MQTT `version` (default 5).
 */
export class RawLink {
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private wake: (() => void) | undefined;
  private readonly decoder;

  private constructor(
    private readonly write: (bytes: Buffer) => Promise<void>,
    onData: (listener: (chunk: Buffer) => void) => void,
    onClose: (listener: () => void) => void,
    version: 4 | 5,
  ) {
    this.decoder = parser({ protocolVersion: version });
    this.decoder.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      this.wake?.();
    });
    this.decoder.on('error', () => undefined);
    onData((chunk) => this.decoder.parse(chunk));
    this.closed = new Promise((resolve) =>
      onClose(() => {
        this.isClosed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static async tcp(t: TestContext, port: number, version: 4 | 5 = 5): Promise<RawLink> {
    const socket = await openTcpSocket(t, port);
    socket.on('error', () => undefined);
    const write = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => socket.write(bytes, () => resolve()));
    return new RawLink(
      write,
      (listener) => socket.on('data', listener),
      (listener) => socket.once('close', listener),
      version,
    );
  }

  static async ws(t: TestContext, url: string, version: 4 | 5 = 5): Promise<RawLink> {
    const ws = new WebSocket(url, ['mqtt']);
    t.after(() => ws.terminate());
    ws.on('error', () => undefined);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
      WAIT_MS,
      `websocket ${url}`,
    );
    const write = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => ws.send(bytes, { binary: true }, () => resolve()));
    return new RawLink(
      write,
      (listener) => ws.on('message', (data: Buffer) => listener(data)),
      (listener) => ws.once('close', listener),
      version,
    );
  }

  /** Writes bytes (or a packet encoded as `version`); resolves once they left this process. */
  send(bytes: Buffer | Packet, version: 4 | 5 = 5): Promise<void> {
    return this.write(Buffer.isBuffer(bytes) ? bytes : generate(bytes, { protocolVersion: version }));
  }

  /** The first packet of type `cmd` the server sent (already, or within the wait). */
  async waitFor<C extends Packet['cmd']>(cmd: C, ms = WAIT_MS): Promise<Extract<Packet, { cmd: C }>> {
    return (await this.waitForCount(cmd, 1, ms))[0]!;
  }

  /** The first `count` packets of type `cmd` the server sent (already, or within the wait). */
  async waitForCount<C extends Packet['cmd']>(
    cmd: C,
    count: number,
    ms = WAIT_MS,
  ): Promise<Extract<Packet, { cmd: C }>[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.packets.filter((p) => p.cmd === cmd);
      if (found.length >= count) return found.slice(0, count) as Extract<Packet, { cmd: C }>[];
      if (this.isClosed) throw new Error(`closed without ${cmd} (got ${this.describe()})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${cmd} within ${ms} ms (got ${this.describe()})`);
      await within(new Promise<void>((resolve) => (this.wake = resolve)), left, cmd).catch(() => undefined);
    }
  }

  /** Resolves once the server closed the connection. */
  expectClosed(ms = WAIT_MS): Promise<void> {
    return within(this.closed, ms, `the server to close the connection (got ${this.describe()})`);
  }

  private describe(): string {
    return this.packets.map((p) => p.cmd).join(', ') || 'nothing';
  }
}
