import type { Duplex } from 'node:stream';

/**
 * The streams a listener handed out and that are still open, so that `close()` can destroy
 * leftovers once their owner (the broker) had its chance to end them gracefully.
 */
export class ConnectionTracker {
  private readonly open = new Set<Duplex>();
  /** One 'close' listener for every stream (`this` is the stream): no closure per connection. */
  private readonly onClose: (this: Duplex) => void;

  constructor() {
    const open = this.open;
    this.onClose = function (this: Duplex) {
      open.delete(this);
    };
  }

  add(stream: Duplex): void {
    this.open.add(stream);
    stream.on('close', this.onClose); // 'close' comes once: no `once` wrapper needed
  }

  get size(): number {
    return this.open.size;
  }

  destroyAll(): void {
    for (const stream of this.open) stream.destroy();
    this.open.clear();
  }
}
