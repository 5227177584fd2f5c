import type { BenchClient, ClientSink } from './bench-client.js';
import { sleep } from './clock.js';
import { publishTemplate } from './wire.js';

/**
 * Sequenced QoS 1 traffic for the deep-backlog scenario: every payload starts with its message
 * number (u32), so the receiver counts unique deliveries, duplicates and order.
 */
export class SequenceSink implements ClientSink {
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** performance.now() of the last new message. */
  lastAt = 0;
  acks = 0;
  /** Called on every PUBACK (the publisher refills its window). */
  onAcked: (() => void) | undefined;
  readonly #seen: Uint8Array;
  #highest = -1;

  constructor(total: number) {
    this.#seen = new Uint8Array(total);
  }

  onPublish(buf: Buffer, offset: number, length: number): void {
    if (length < 4) return;
    const seq = buf.readUInt32BE(offset);
    if (seq >= this.#seen.length) return;
    if (this.#seen[seq] === 1) {
      this.duplicates++;
      return;
    }
    this.#seen[seq] = 1;
    this.received++;
    if (seq < this.#highest) this.outOfOrder++;
    else this.#highest = seq;
    this.lastAt = performance.now();
  }

  onAck(): void {
    this.acks++;
    this.onAcked?.();
  }
}

/**
 * Publishes messages 0..total-1 at QoS 1 on `topic`, keeping at most `window` unacknowledged;
 * what the acks of one read free is refilled with one write. Resolves when every message is
 * acknowledged, or when no PUBACK came for `idleMs` (resolves with the count acknowledged).
 */
export function publishSequence(
  client: BenchClient,
  sink: SequenceSink,
  options: { topic: string; total: number; window: number; idleMs: number },
): Promise<number> {
  const template = publishTemplate(options.topic, 1, 'stamp');
  const size = template.bytes.length;
  let next = 0;
  let scheduled = false;
  const refill = (): void => {
    scheduled = false;
    const room = Math.min(options.window - client.inflight, options.total - next);
    if (room <= 0) return;
    const out = Buffer.allocUnsafe(room * size);
    for (let i = 0; i < room; i++) {
      const at = i * size;
      template.bytes.copy(out, at);
      out.writeUInt16BE(client.takePacketId(0), at + template.idOffset);
      out.writeUInt32BE(next++, at + template.payloadOffset);
    }
    client.write(out);
  };
  sink.onAcked = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(refill);
  };
  refill();
  return waitForProgress(
    () => sink.acks >= options.total,
    () => sink.acks,
    options.idleMs,
  ).then(() => {
    sink.onAcked = undefined;
    return sink.acks;
  });
}

/**
 * Resolves once `done()` holds, or once `progress()` has not moved for `idleMs` (a broker that
 * dropped messages never delivers them: the wait ends when deliveries stop). `tick` runs on every
 * poll (sampling the broker).
 */
export async function waitForProgress(
  done: () => boolean,
  progress: () => number,
  idleMs: number,
  tick?: () => void,
): Promise<void> {
  let last = progress();
  let movedAt = performance.now();
  while (!done()) {
    await sleep(20);
    tick?.();
    const now = progress();
    if (now !== last) {
      last = now;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > idleMs) return;
  }
}
