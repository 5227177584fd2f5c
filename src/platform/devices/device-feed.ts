import type { DatastreamValue, DeviceEventRecord, EventType } from '../model.js';

/** One change of one device, as accepted by the platform. */
export type DeviceChange =
  | {
      readonly kind: 'value';
      readonly dataStreamId: number;
      readonly value: DatastreamValue;
      readonly ts: number;
    }
  | { readonly kind: 'online'; readonly connected: boolean; readonly at: number }
  | { readonly kind: 'event'; readonly record: DeviceEventRecord; readonly type?: EventType };

/** Called synchronously on the write path: must be quick, must not throw (a throw is swallowed). */
export type DeviceChangeListener = (change: DeviceChange) => void;

type Point = { readonly dataStreamId: number; readonly value: DatastreamValue; readonly ts: number };

/**
 * The in-process publisher of per-device changes (decision 0025). The device service calls it
 * once a value write, a connection record or an event is stored, whatever channel it came from;
 * a device nobody watches costs one Map lookup. Bounds (how many listeners, how much each may
 * buffer) belong to the subscriber side: a listener only ever gets a synchronous call.
 */
export class DeviceFeed {
  readonly #listeners = new Map<number, Set<DeviceChangeListener>>();
  #count = 0;
  #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  /** Listeners registered now, over all devices. */
  get size(): number {
    return this.#count;
  }

  /** Registers `listener` for `deviceId`; returns the (idempotent) way to remove it. */
  subscribe(deviceId: number, listener: DeviceChangeListener): () => void {
    let set = this.#listeners.get(deviceId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(deviceId, set);
    }
    set.add(listener);
    this.#count++;
    const listeners = set;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      listeners.delete(listener);
      this.#count--;
      if (listeners.size === 0 && this.#listeners.get(deviceId) === listeners)
        this.#listeners.delete(deviceId);
    };
  }

  /** Values stored for `deviceId` (the write path: one lookup when nobody watches). */
  values(deviceId: number, points: readonly Point[]): void {
    const set = this.#listeners.get(deviceId);
    if (set === undefined) return;
    for (const p of points)
      this.#emit(set, { kind: 'value', dataStreamId: p.dataStreamId, value: p.value, ts: p.ts });
  }

  /** A connection change recorded for `deviceId`. */
  presence(deviceId: number, connected: boolean, at: number): void {
    const set = this.#listeners.get(deviceId);
    if (set !== undefined) this.#emit(set, { kind: 'online', connected, at });
  }

  /** An event logged for `record.deviceId`. */
  event(record: DeviceEventRecord, type?: EventType): void {
    const set = this.#listeners.get(record.deviceId);
    if (set === undefined) return;
    this.#emit(set, type === undefined ? { kind: 'event', record } : { kind: 'event', record, type });
  }

  #emit(set: ReadonlySet<DeviceChangeListener>, change: DeviceChange): void {
    // No copy: a Set walk tolerates a listener deleting itself (overflow) meanwhile.
    for (const listener of set) {
      try {
        listener(change);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
