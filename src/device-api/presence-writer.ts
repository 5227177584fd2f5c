import type { Logger } from '../observability/logger.js';
import type { ConnectionRecord } from '../platform/devices/device-store.js';
import type { Platform } from '../platform/platform.js';

/** Devices per store write; what is left waits for the next one. */
export const PRESENCE_BATCH_MAX = 5_000;

interface Pending {
  connectedAt?: number;
  ip?: string;
  disconnectedAt?: number;
}

/**
 * Connection times on their way to the device rows. The connects, disconnects and first gateway
 * uplinks of a turn are merged per device and written in one store call, one call at a time:
 * a gateway that starts speaking for 10,000 devices costs a few statements instead of 10,000
 * UPDATEs queued in the pool ahead of the value commits. Bounded by the number of devices (one
 * entry each). Best effort, as before: a failed write is logged, not retried; the next connect
 * records the device again.
 */
export class PresenceWriter {
  readonly #platform: Platform;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  /** A write is scheduled or in flight; whenever entries are pending, this is true. */
  #busy = false;
  #closed = false;

  constructor(platform: Platform, logger: Logger) {
    this.#platform = platform;
    this.#logger = logger;
  }

  connected(deviceId: number, at: number, ip?: string): void {
    const entry = this.#entry(deviceId);
    entry.connectedAt = at;
    if (ip !== undefined) entry.ip = ip;
  }

  disconnected(deviceId: number, at: number): void {
    this.#entry(deviceId).disconnectedAt = at;
  }

  /**
   * Later records are dropped (the service is shutting down); those already noted are still
   * written, by the write already scheduled for them.
   */
  close(): void {
    this.#closed = true;
  }

  #entry(deviceId: number): Pending {
    let entry = this.#pending.get(deviceId);
    if (entry === undefined) {
      if (this.#closed) return {};
      entry = {};
      this.#pending.set(deviceId, entry);
      if (!this.#busy) {
        this.#busy = true;
        setImmediate(() => this.#write());
      }
    }
    return entry;
  }

  /** Writes up to a batch of what is pending, then the next batch, until nothing is left. */
  #write(): void {
    const records = this.#take();
    if (records.length === 0) {
      this.#busy = false;
      return;
    }
    this.#platform.devices.recordConnections(records).then(
      () => this.#write(),
      (err: unknown) => {
        if (!this.#closed)
          this.#logger.warn({ err, devices: records.length }, 'could not record connection times');
        this.#write();
      },
    );
  }

  #take(): ConnectionRecord[] {
    const records: ConnectionRecord[] = [];
    for (const [deviceId, entry] of this.#pending) {
      if (records.length === PRESENCE_BATCH_MAX) break;
      this.#pending.delete(deviceId);
      records.push({ deviceId, ...entry });
    }
    return records;
  }
}
