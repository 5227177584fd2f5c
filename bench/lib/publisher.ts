import type { BenchClient } from './bench-client.js';
import { nowMicros } from './clock.js';
import { fillPublish, type PublishTemplate, publishTemplate } from './wire.js';
import type { PublishResult, WorkerCommand } from './worker-protocol.js';

type PublishCommand = Extract<WorkerCommand, { op: 'publish' }>;

interface Source {
  readonly client: BenchClient;
  readonly templates: PublishTemplate[];
  readonly maxSize: number;
  next: number;
  blocked: boolean;
}

/** Messages written per turn of the loop, so IPC credits and socket reads are not starved. */
const MAX_BATCH = 256;
/** Window mode: no delivery for this long means the broker dropped what is outstanding. */
const STALL_MS = 500;

/**
 * One publish phase of a worker: writes PUBLISHes round-robin over its publishers, either paced at
 * a fixed rate or kept within a window of messages the subscribers have not seen yet (credits
 * relayed by the orchestrator). Never spins: when nothing may be sent it waits for a credit, a
 * drain, a PUBACK or the next millisecond.
 */
export class PublishPhase {
  private readonly sources: Source[];
  private sent = 0;
  private credit = 0;
  private lost = 0;
  private lastDelivered = 0;
  private lastProgress = 0;
  private cursor = 0;
  private counter = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private finish: ((result: PublishResult) => void) | undefined;

  constructor(
    private readonly cmd: PublishCommand,
    clients: readonly BenchClient[],
    private readonly origin: number,
    private readonly ackHist: { toData(): PublishResult['ackHist']; reset(): void; count: number },
    private readonly ownDelivered: () => number,
  ) {
    this.sources = cmd.publishers.map((p) => {
      const client = clients[p.client]!;
      const templates = p.topics.map((t) => publishTemplate(t, cmd.qos, cmd.payload));
      const source: Source = {
        client,
        templates,
        maxSize: Math.max(...templates.map((t) => t.bytes.length)),
        next: 0,
        blocked: false,
      };
      client.onDrain = () => {
        source.blocked = false;
        this.wake();
      };
      return source;
    });
  }

  run(): Promise<PublishResult> {
    this.ackHist.reset();
    this.startedAt = nowMicros();
    this.lastProgress = this.startedAt;
    return new Promise((resolve) => {
      this.finish = resolve;
      this.timer = setInterval(() => this.wake(), 1);
      this.wake();
    });
  }

  /** Cumulative deliveries of this worker's messages seen by the other workers (orchestrator relay). */
  onCredit(delivered: number): void {
    this.credit = delivered;
    this.wake();
  }

  wake(): void {
    if (this.scheduled || this.finish === undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.turn();
    });
  }

  private turn(): void {
    const now = nowMicros();
    const elapsedMs = (now - this.startedAt) / 1000;
    if (elapsedMs >= this.cmd.durationMs) {
      this.end(elapsedMs);
      return;
    }
    const budget = this.allowance(elapsedMs, now);
    let allowed = Math.min(MAX_BATCH, budget);
    let idle = 0;
    while (allowed > 0 && idle < this.sources.length) {
      const source = this.sources[this.cursor]!;
      this.cursor = (this.cursor + 1) % this.sources.length;
      const room = this.room(source);
      if (room <= 0) {
        idle++;
        continue;
      }
      idle = 0;
      const share = Math.max(1, Math.ceil(allowed / this.sources.length));
      const count = Math.min(room, share, allowed);
      this.write(source, count, now);
      allowed -= count;
    }
    // More was allowed than one turn writes: continue at once. Otherwise a credit, a drain or the
    // 1 ms timer wakes us.
    if (allowed === 0 && budget >= MAX_BATCH) this.wake();
  }

  private allowance(elapsedMs: number, now: number): number {
    const pacing = this.cmd.pacing;
    if (pacing.kind === 'inflight') return MAX_BATCH;
    if (pacing.kind === 'rate') return Math.floor((elapsedMs / 1000) * pacing.perSecond) - this.sent;
    const fanout = this.cmd.fanout;
    const delivered = this.credit + this.ownDelivered();
    if (delivered !== this.lastDelivered) {
      this.lastDelivered = delivered;
      this.lastProgress = now;
    }
    if (this.sent * fanout - delivered - this.lost > 0 && now - this.lastProgress > STALL_MS * 1000) {
      this.lost = this.sent * fanout - delivered;
      this.lastProgress = now;
    }
    const outstanding = (this.sent * fanout - delivered - this.lost) / fanout;
    return Math.floor(pacing.window - outstanding);
  }

  private room(source: Source): number {
    if (source.blocked || source.client.closed) return 0;
    if (this.cmd.qos === 0) return MAX_BATCH;
    return this.cmd.maxInflight - source.client.inflight;
  }

  private write(source: Source, count: number, now: number): void {
    if (this.cmd.perPacketWrites === true) {
      this.writeEach(source, count, now);
      return;
    }
    const out = Buffer.allocUnsafe(source.maxSize * count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const template = source.templates[source.next]!;
      source.next = (source.next + 1) % source.templates.length;
      const id = this.cmd.qos === 0 ? 0 : source.client.takePacketId(now);
      at = fillPublish(template, out, at, id, now, this.origin, this.counter++);
    }
    this.sent += count;
    if (!source.client.write(out.subarray(0, at))) source.blocked = true;
  }

  /** One `socket.write` per PUBLISH: with no-delay, each leaves as its own segment. */
  private writeEach(source: Source, count: number, now: number): void {
    const out = Buffer.allocUnsafe(source.maxSize * count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const template = source.templates[source.next]!;
      source.next = (source.next + 1) % source.templates.length;
      const id = this.cmd.qos === 0 ? 0 : source.client.takePacketId(now);
      const end = fillPublish(template, out, at, id, now, this.origin, this.counter++);
      this.sent++;
      if (!source.client.write(out.subarray(at, end))) source.blocked = true;
      at = end;
    }
  }

  private end(elapsedMs: number): void {
    clearInterval(this.timer);
    const finish = this.finish!;
    this.finish = undefined;
    for (const source of this.sources) source.client.onDrain = undefined;
    finish({
      sent: this.sent,
      acked: this.ackHist.count,
      ackHist: this.ackHist.toData(),
      elapsedMs,
      lost: this.lost,
    });
  }
}
