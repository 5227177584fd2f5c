import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { ProxyGate } from '../proxy-protocol/proxy-gate.js';
import type { FromWorker, WorkerListenerSpec, WorkerTlsMaterial } from './control.js';

/** Files a worker keeps for itself (pipes, the listening sockets, TLS, DNS…) below its limit. */
const RESERVED_FILES = 256;
/** Accepting resumes once this many connections below the cap closed, so it does not flap. */
const RESUME_GAP = 512;

interface Served {
  readonly spec: WorkerListenerSpec;
  /** Listening now; undefined while the worker is full or the listener stopped. */
  server: Server | undefined;
  /** TLS: a server that never listens; accepted sockets go through its handshake. */
  readonly tls: TlsServer | undefined;
  /** TLS sockets still in their handshake, so `close` can end them too. */
  readonly handshakes: Set<Socket>;
  /** Present when connections start with a PROXY header: it is read before TLS or the relay. */
  readonly proxy: ProxyGate | undefined;
}

/** Where accepted connections go: plain TCP at once, TLS after its handshake. */
export type OpenHandler = (socket: Socket, spec: WorkerListenerSpec) => void;

/**
 * The listeners of one socket worker. Every worker accepts on the same ports (node:cluster
 * shares the listening socket, the kernel picks the worker), and a worker close to its own
 * open-files limit stops accepting until connections close, so the others take the new ones.
 */
export class WorkerListeners {
  readonly #served = new Map<number, Served>();
  readonly #capacity: number;
  /** Sockets this worker holds: accepted, in a TLS handshake or open. */
  #sockets = 0;
  #full = false;
  readonly #onSocketClose: (this: Socket) => void;

  constructor(
    private readonly onOpen: OpenHandler,
    private readonly send: (message: FromWorker) => void,
    openFilesLimit: number,
  ) {
    this.#capacity = Math.max(1, openFilesLimit - RESERVED_FILES);
    const listeners = this;
    this.#onSocketClose = function (this: Socket) {
      listeners.#released(this);
    };
  }

  listen(spec: WorkerListenerSpec): void {
    const served: Served = {
      spec,
      server: undefined,
      tls: spec.transport === 'tls' ? this.#tlsServer(spec) : undefined,
      handshakes: new Set(),
      proxy: spec.proxyProtocol === undefined ? undefined : new ProxyGate(spec.proxyProtocol),
    };
    this.#served.set(spec.listenerId, served);
    if (this.#full) {
      this.send({ type: 'listening', listenerId: spec.listenerId });
      return;
    }
    this.#start(served, true);
  }

  /** Stops accepting; with `destroy`, also ends the handshakes in progress. */
  stop(listenerId: number, destroy: boolean): void {
    const served = this.#served.get(listenerId);
    if (served === undefined) return;
    this.#served.delete(listenerId);
    served.server?.close();
    served.server = undefined;
    if (destroy) {
      for (const raw of served.handshakes) raw.destroy();
      served.proxy?.destroyPending();
    }
  }

  setTls(material: WorkerTlsMaterial): void {
    for (const served of this.#served.values()) served.tls?.setSecureContext(tlsOptions(material));
  }

  #start(served: Served, reply: boolean): void {
    const { spec } = served;
    const server = createServer({ noDelay: true }, (socket) => this.#accepted(socket, served));
    served.server = server;
    const onError = (err: NodeJS.ErrnoException): void => {
      if (served.server === server) served.server = undefined;
      const code = err.code === undefined ? {} : { code: err.code };
      if (reply)
        this.send({ type: 'listenError', listenerId: spec.listenerId, message: err.message, ...code });
      else this.send({ type: 'log', level: 'warn', message: `accepting again failed: ${err.message}` });
    };
    server.once('error', onError);
    server.listen({ host: spec.host, port: spec.port }, () => {
      server.off('error', onError);
      server.on('error', (err) =>
        this.send({ type: 'log', level: 'warn', message: `listener: ${err.message}` }),
      );
      if (reply) this.send({ type: 'listening', listenerId: spec.listenerId });
    });
  }

  #accepted(socket: Socket, served: Served): void {
    this.#sockets++;
    socket.on('close', this.#onSocketClose);
    if (this.#sockets >= this.#capacity) this.#pause();
    if (served.proxy === undefined) this.#opened(socket, served);
    else
      served.proxy.accept(socket, served.tls === undefined ? 'flowing' : 'paused', (ready) =>
        this.#opened(ready, served),
      );
  }

  #opened(socket: Socket, served: Served): void {
    if (served.tls === undefined) {
      this.onOpen(socket, served.spec);
      return;
    }
    served.handshakes.add(socket);
    served.tls.emit('connection', socket);
  }

  #tlsServer(spec: WorkerListenerSpec): TlsServer {
    const server = createTlsServer({
      ...tlsOptions(spec.tls),
      ...(spec.handshakeTimeoutMs === undefined ? {} : { handshakeTimeout: spec.handshakeTimeoutMs }),
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      // Node keeps the accepted socket a TLS socket wraps as `_parent` (its only reference to it).
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      if (raw !== undefined) this.#served.get(spec.listenerId)?.handshakes.delete(raw);
      this.onOpen(socket as unknown as Socket, spec);
    });
    server.on('tlsClientError', (_err, socket) => {
      // A failed handshake (scanner, plain MQTT on the TLS port): the socket closes itself.
      const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
      if (raw !== undefined) this.#served.get(spec.listenerId)?.handshakes.delete(raw);
    });
    return server;
  }

  #released(socket: Socket): void {
    for (const served of this.#served.values()) served.handshakes.delete(socket);
    this.#sockets--;
    if (this.#full && this.#sockets <= this.#capacity - RESUME_GAP) this.#resume();
  }

  #pause(): void {
    if (this.#full) return;
    this.#full = true;
    for (const served of this.#served.values()) {
      served.server?.close();
      served.server = undefined;
    }
    this.send({
      type: 'log',
      level: 'warn',
      message: `holding ${this.#sockets} sockets (its limit): not accepting`,
    });
  }

  #resume(): void {
    this.#full = false;
    for (const served of this.#served.values()) if (served.server === undefined) this.#start(served, false);
    this.send({ type: 'log', level: 'info', message: `holding ${this.#sockets} sockets: accepting again` });
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
