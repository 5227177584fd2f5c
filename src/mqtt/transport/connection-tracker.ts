import type { Duplex } from 'node:stream';

/**
 * The streams a listener handed out and that are still open, so that `close()` can destroy
 * leftovers once their owner (the broker) had its chance to end them gracefully.
 */
export class ConnectionTracker {
  private readonly open = new Set<Duplex>();

  add(stream: Duplex): void {
    this.open.add(stream);
    stream.once('close', () => this.open.delete(stream));
  }

  get size(): number {
    return this.open.size;
  }

  destroyAll(): void {
    for (const stream of this.open) stream.destroy();
    this.open.clear();
  }
}
