import type { Server, Socket } from 'node:net';
import { AddressList } from '../../../lib/address-list.js';
import { recordPeer } from '../peer.js';
import { type ProxyParse, parseProxyHeader } from './header.js';

type CompleteParse = Extract<ProxyParse, { status: 'complete' }>;

/** A listener's PROXY protocol settings; plain data, so that socket workers get them over IPC. */
export interface ProxyProtocolSettings {
  /** The whole header must have arrived within this many ms of the accept, or the socket is closed. */
  readonly timeoutMs: number;
  /**
   * Addresses and CIDR blocks the balancers connect from. Absent or empty: any source. A
   * connection from elsewhere is closed at once (it could forge any client address).
   */
  readonly trustedSources?: readonly string[];
}

/** Told of every connection the gate closes, and why (for a debug line). */
export type ProxyRefusalListener = (reason: string, socket: Socket) => void;

/**
 * How the next reader takes the socket: `flowing` ones (a 'data' listener: MQTT over TCP, the HTTP
 * parser) need it resumed; `paused` ones (a TLS server) read the bytes buffered after the header
 * themselves, and must find the socket paused.
 */
export type HandOn = 'flowing' | 'paused';

/**
 * Reads the PROXY protocol header (v1 or v2) every accepted socket must start with, records the
 * client address it names (peer.ts) and only then hands the socket on, with the bytes that
 * followed the header put back in front. A socket whose header is refused, incomplete at the
 * deadline, or that comes from an untrusted source is destroyed without a word.
 */
export class ProxyGate {
  readonly #pending = new Set<Socket>();
  readonly #trusted: AddressList | undefined;

  constructor(
    private readonly settings: ProxyProtocolSettings,
    private readonly onRefused: ProxyRefusalListener = () => undefined,
  ) {
    const sources = settings.trustedSources ?? [];
    this.#trusted = sources.length === 0 ? undefined : new AddressList(sources);
  }

  /** Puts the gate in front of the 'connection' listeners `server` has now. */
  install(server: Server, handOn: HandOn): void {
    const downstream = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) =>
      this.accept(socket, handOn, (ready) => {
        for (const listener of downstream) listener.call(server, ready);
      }),
    );
  }

  /** Sockets still sending their header. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Destroys the sockets still sending their header (listener close). */
  destroyPending(): void {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  }

  accept(socket: Socket, handOn: HandOn, next: (socket: Socket) => void): void {
    // No remote address: the peer reset the connection before it was accepted. Nothing to refuse.
    if (socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    if (this.#trusted !== undefined && !this.#trusted.has(socket.remoteAddress)) {
      this.#refuse(socket, 'source not in the trusted list');
      return;
    }
    this.#readHeader(socket, (received, verdict) => this.#handOn(socket, received, verdict, handOn, next));
  }

  /** Collects bytes until the parser has a verdict or the deadline passes; refusals end here. */
  #readHeader(socket: Socket, onComplete: (received: Buffer, verdict: CompleteParse) => void): void {
    let received: Buffer = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      socket.off('data', onData);
      socket.off('error', done); // 'close' follows an error; the socket is gone either way
      socket.off('close', done);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const verdict = parseProxyHeader(received);
      if (verdict.status === 'incomplete') return;
      done();
      if (verdict.status === 'refused') this.#refuse(socket, verdict.reason);
      else onComplete(received, verdict);
    };
    const timer = setTimeout(() => {
      done();
      this.#refuse(socket, `no complete PROXY header within ${this.settings.timeoutMs} ms`);
    }, this.settings.timeoutMs);
    this.#pending.add(socket);
    socket.on('data', onData);
    socket.on('error', done);
    socket.on('close', done);
  }

  /** Puts the client's bytes back behind the header, records the address, hands the socket on. */
  #handOn(
    socket: Socket,
    received: Buffer,
    verdict: CompleteParse,
    handOn: HandOn,
    next: (socket: Socket) => void,
  ): void {
    socket.pause();
    if (received.length > verdict.consumed) socket.unshift(received.subarray(verdict.consumed));
    const { source } = verdict.header;
    // [proxy-protocol.txt] UNKNOWN, LOCAL and AF_UNSPEC: the socket's own endpoints stand.
    if (source !== undefined) recordPeer(socket, { address: source.address, port: source.port });
    next(socket);
    if (handOn === 'flowing' && !socket.destroyed) socket.resume();
  }

  #refuse(socket: Socket, reason: string): void {
    this.onRefused(reason, socket);
    socket.on('error', () => undefined);
    socket.destroy();
  }
}

/** The gate of a listener when its settings ask for one, logging each refusal at debug level. */
export function gateServer(
  server: Server,
  settings: ProxyProtocolSettings | undefined,
  handOn: HandOn,
  onRefused: ProxyRefusalListener,
): ProxyGate | undefined {
  if (settings === undefined) return undefined;
  const gate = new ProxyGate(settings, onRefused);
  gate.install(server, handOn);
  return gate;
}
