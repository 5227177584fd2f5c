import type { Logger } from 'pino';

/**
 * Logs dropped messages without letting a flood of drops flood the log: the first drop for a
 * (client, reason) pair is logged at once, later ones are summed and logged at most once per
 * interval with their count. Bounded: at most `maxKeys` pairs are tracked between flushes.
 */
export class DropLog {
  private readonly pending = new Map<string, { clientId: string; reason: string; count: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
    private readonly maxKeys = 1000,
  ) {}

  record(clientId: string, reason: string): void {
    const key = `${reason}\u0000${clientId}`;
    const entry = this.pending.get(key);
    if (entry !== undefined) {
      entry.count++;
      return;
    }
    if (this.pending.size >= this.maxKeys) return; // counted in metrics regardless
    this.logger.warn({ clientId, reason }, 'message dropped');
    this.pending.set(key, { clientId, reason, count: 0 });
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  private flush(): void {
    this.timer = undefined;
    for (const { clientId, reason, count } of this.pending.values()) {
      if (count > 0) this.logger.warn({ clientId, reason, count }, 'messages dropped');
    }
    this.pending.clear();
  }
}
