import { connect, type Socket } from 'node:net';

/**
 * A minimal HTTP/1.1 client for open-loop load: keep-alive sockets opened before the measurement,
 * one request in flight per socket, each request written as one string (TCP_NODELAY), and answers
 * read in place (status line, Content-Length, body skipped). node:http's client allocates a
 * ClientRequest, an IncomingMessage and header objects per request; at 1,000 requests/s its GC
 * pauses and socket bookkeeping alone gave a p99 of ~3 ms against a server that answers at once.
 */
export interface HttpTarget {
  readonly host: string;
  readonly port: number;
}

/** Called with the status code (0: the connection failed before an answer). */
type Done = (status: number) => void;

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

class Conn {
  /** Answer bytes not yet consumed (headers may arrive split). */
  private pending: Buffer | undefined;
  /** Body bytes of the current answer still to skip. */
  private bodyLeft = 0;
  private status = 0;
  done: Done | undefined;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onIdle: (conn: Conn) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.finish(0);
    });
  }

  send(request: string, done: Done): void {
    this.done = done;
    this.socket.write(request, 'latin1');
  }

  private read(chunk: Buffer): void {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (data.length > 0) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, data.length);
        this.bodyLeft -= skip;
        data = data.subarray(skip);
        if (this.bodyLeft === 0) this.finish(this.status);
        continue;
      }
      const end = data.indexOf(HEADER_END);
      if (end < 0) {
        this.pending = data;
        return;
      }
      const head = data.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      this.bodyLeft = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
      data = data.subarray(end + HEADER_END.length);
      if (this.bodyLeft === 0) this.finish(this.status);
    }
  }

  private finish(status: number): void {
    const done = this.done;
    this.done = undefined;
    if (done === undefined) return;
    done(status);
    if (!this.closed) this.onIdle(this);
  }
}

export class HttpLoad {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  /** Connections opened during the run because every prepared one was busy. */
  extraConnections = 0;

  constructor(private readonly target: HttpTarget) {}

  /** Opens `count` keep-alive connections. */
  async open(count: number): Promise<void> {
    const conns = await Promise.all(Array.from({ length: count }, () => this.connect()));
    this.idle.push(...conns);
  }

  /**
   * Sends `request` (a full HTTP/1.1 request) on an idle connection, or a new one. Idle ones are
   * used in turn (FIFO), so none sits idle long enough for the server's keep-alive timeout.
   */
  send(request: string, done: Done): void {
    let conn = this.idle.shift();
    while (conn?.closed === true) conn = this.idle.shift();
    if (conn !== undefined) {
      conn.send(request, done);
      return;
    }
    this.extraConnections++;
    this.connect().then(
      (c) => c.send(request, done),
      () => done(0),
    );
  }

  close(): void {
    for (const conn of this.all) conn.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private connect(): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.target.port, this.target.host);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const conn = new Conn(socket, (c) => this.idle.push(c));
        this.all.add(conn);
        socket.once('close', () => this.all.delete(conn));
        resolve(conn);
      });
    });
  }
}
