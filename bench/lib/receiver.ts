import type { ClientSink } from './bench-client.js';
import { nowMicros } from './clock.js';
import { Histogram } from './histogram.js';
import type { ReceiveFormat, ReceiveResult } from './worker-protocol.js';

const REPORT_EVERY_MS = 2;

/**
 * The worker's receive side for every client: counts deliveries, records end-to-end latency from
 * the timestamp in the payload, and reports deliveries per origin worker so publishers can keep a
 * closed-loop window (see publisher.ts).
 */
export class Receiver implements ClientSink {
  readonly latency = new Histogram();
  readonly acks = new Histogram();
  received = 0;
  private format: ReceiveFormat = 'stamp';
  private perOrigin: number[] = [];
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private since = 0;

  /** Deliveries of this worker's own messages, counted here without a trip through the orchestrator. */
  ownDelivered = 0;
  /** Called on each delivery of our own messages (the publisher's window may open). */
  onOwnDelivery: (() => void) | undefined;

  /** Called on each PUBACK of ours (a QoS 1 window may open). */
  onOwnAck: (() => void) | undefined;

  /** Deliveries not attributable to a publishing worker (platform downlinks, plain counting). */
  private other = 0;

  constructor(
    private readonly self: number,
    private readonly report: (counts: number[], other: number) => void,
  ) {}

  /**
   * Starts a measurement. With `credits`, delivery counts for the publishers' window restart too
   * (only between publish phases: mid-phase they must keep counting).
   */
  reset(format: ReceiveFormat, credits: boolean): void {
    this.format = format;
    this.latency.reset();
    this.received = 0;
    this.since = nowMicros();
    if (credits) {
      this.perOrigin = [];
      this.ownDelivered = 0;
      this.other = 0;
      this.dirty = false;
    }
    this.timer ??= setInterval(() => this.flush(), REPORT_EVERY_MS);
  }

  /** What arrived since reset(); `stop` ends delivery reports until the next reset. */
  stats(stop: boolean): ReceiveResult {
    this.flush();
    if (stop) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return { received: this.received, hist: this.latency.toData(), elapsedMicros: nowMicros() - this.since };
  }

  onPublish(buf: Buffer, offset: number, length: number): void {
    this.received++;
    if (this.format === 'stamp' && length >= 10) {
      this.latency.record(nowMicros() - buf.readDoubleLE(offset));
      const origin = buf.readUInt16LE(offset + 8);
      if (origin === this.self) {
        this.ownDelivered++;
        this.onOwnDelivery?.();
      } else {
        this.perOrigin[origin] = (this.perOrigin[origin] ?? 0) + 1;
      }
      this.dirty = true;
    } else {
      this.other++;
      this.dirty = true;
      if (this.format !== 'text-micros') return;
      const stamp = Number(buf.toString('latin1', offset, offset + length));
      if (Number.isFinite(stamp) && stamp > 0) this.latency.record(nowMicros() - stamp);
    }
  }

  onAck(micros: number): void {
    this.acks.record(micros);
    this.onOwnAck?.();
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    // The own count travels too (progress, settling); the orchestrator does not relay it back.
    const counts: number[] = [];
    const length = Math.max(this.perOrigin.length, this.self + 1);
    for (let i = 0; i < length; i++)
      counts.push(i === this.self ? this.ownDelivered : (this.perOrigin[i] ?? 0));
    this.report(counts, this.other);
  }
}
