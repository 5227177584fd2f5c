import type { ServerResponse } from 'node:http';

/** How long an ended stream may take to flush before its socket is destroyed (a reader that stopped reading). */
export const END_GRACE_MS = 1000;

export type SseEndReason = 'client' | 'overflow' | 'shutdown' | 'gone';

/**
 * One Server-Sent Events response (WHATWG HTML §9.2) with a byte budget: messages are batched
 * into one write per turn of the event loop, and a reader that lets more than `maxBufferedBytes`
 * pile up (in the socket's buffer and here) is sent a last `event: overflow` and closed, so a
 * slow reader never grows memory nor slows the code that sends.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  readonly #onEnd: (reason: SseEndReason) => void;
  /** Messages not yet handed to the socket; held back entirely until `open` (the snapshot goes first). */
  #pending = '';
  #pendingBytes = 0;
  #opened = false;
  #flushQueued = false;
  #ended = false;

  constructor(res: ServerResponse, maxBufferedBytes: number, onEnd: (reason: SseEndReason) => void) {
    this.#res = res;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onEnd = onEnd;
    res.on('close', () => this.#finish('client'));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Writes the headers and `first` ahead of whatever was queued meanwhile. */
  open(first: string): void {
    if (this.#ended) return;
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies that buffer responses (nginx) would hold the stream back.
      'x-accel-buffering': 'no',
    });
    this.#opened = true;
    this.#pending = first + this.#pending;
    this.#pendingBytes += Buffer.byteLength(first);
    this.#flush();
  }

  /** Queues `event: name` with `data` (one line of JSON); false when the stream ended instead. */
  send(name: string, data: string): boolean {
    return this.#queue(`event: ${name}\ndata: ${data}\n\n`);
  }

  /** A comment line (`: ping`): keeps proxies and the reader's idle timers from closing the stream. */
  comment(text: string): boolean {
    return this.#queue(`: ${text}\n\n`);
  }

  /** Ends the stream now (server shutdown, device gone): what is queued is still sent. */
  close(reason: SseEndReason): void {
    if (this.#ended) return;
    this.#flush();
    this.#end(reason);
  }

  #queue(chunk: string): boolean {
    if (this.#ended) return false;
    const bytes = Buffer.byteLength(chunk);
    if (this.#res.writableLength + this.#pendingBytes + bytes > this.#maxBufferedBytes) {
      this.#overflow();
      return false;
    }
    this.#pending += chunk;
    this.#pendingBytes += bytes;
    if (this.#opened && !this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(() => this.#flush());
    }
    return true;
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#ended || !this.#opened || this.#pendingBytes === 0) return;
    const chunk = this.#pending;
    this.#pending = '';
    this.#pendingBytes = 0;
    this.#res.write(chunk);
  }

  /** The reader fell behind: whatever waits here is dropped, the last word is `overflow`. */
  #overflow(): void {
    this.#pending = '';
    this.#pendingBytes = 0;
    if (!this.#opened) {
      // Behind before the snapshot was even sent: nothing of the stream reached the reader.
      this.#end('overflow');
      return;
    }
    this.#res.write('event: overflow\ndata: {}\n\n');
    this.#end('overflow');
  }

  #end(reason: SseEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    const res = this.#res;
    if (!res.headersSent) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { message: 'The live stream ended before it started.' } }));
    } else if (!res.writableEnded) res.end();
    // A reader that stopped reading never lets the end through: its socket goes after a grace.
    if (!res.writableFinished) {
      const timer = setTimeout(() => res.destroy(), END_GRACE_MS);
      timer.unref();
      res.once('close', () => clearTimeout(timer));
    }
    this.#onEnd(reason);
  }

  #finish(reason: SseEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pending = '';
    this.#pendingBytes = 0;
    this.#onEnd(reason);
  }
}
