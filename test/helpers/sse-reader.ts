import type { TestContext } from 'node:test';
import { WAIT_MS } from './wait.js';

/** One Server-Sent Events message: its `event:` name and `data:` parsed as JSON. */
export interface SseMessage {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads a `text/event-stream` body with node's fetch and a streaming reader: messages in order,
 * comments (`: ping`) counted apart. The stream is cancelled after the test.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #queue: SseMessage[] = [];
  #buffer = '';
  #ended = false;
  /** A read still under way when a wait timed out: the next wait takes its result. */
  #pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | undefined;
  comments = 0;

  constructor(
    t: TestContext,
    readonly response: Response,
  ) {
    if (response.body === null) throw new Error('no body');
    this.#reader = response.body.getReader();
    t.after(() => this.#reader.cancel().catch(() => undefined));
  }

  /** True once the server ended the stream (and every message was taken). */
  get ended(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /** Stops reading: the client closes the stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }

  /** The next message; rejects after `ms` or when the stream ends first. */
  async next(ms = WAIT_MS): Promise<SseMessage> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      if (this.#ended) throw new Error('stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE message within ${ms} ms`);
      await this.#read(left);
    }
    return this.#queue.shift() as SseMessage;
  }

  /** Messages until one named `event` matches `accept`; returns it (the ones before are skipped). */
  async until(
    event: string,
    accept: (data: unknown) => boolean = () => true,
    ms = WAIT_MS,
  ): Promise<SseMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (message.event === event && accept(message.data)) return message;
    }
  }

  /** Reads until the server ends the stream; returns the messages left. */
  async rest(ms = WAIT_MS): Promise<SseMessage[]> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream still open after ${ms} ms`);
      await this.#read(left);
    }
    return this.#queue.splice(0);
  }

  async #read(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    this.#pending ??= this.#reader.read();
    const chunk = await Promise.race([this.#pending, timeout]).finally(() => clearTimeout(timer));
    if (chunk === 'timeout') return;
    this.#pending = undefined;
    if (chunk.done) {
      this.#ended = true;
      return;
    }
    this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    let end = this.#buffer.indexOf('\n\n');
    while (end >= 0) {
      this.#parse(this.#buffer.slice(0, end));
      this.#buffer = this.#buffer.slice(end + 2);
      end = this.#buffer.indexOf('\n\n');
    }
  }

  #parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) this.#queue.push({ event, data: JSON.parse(data.join('\n')) });
  }
}
