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
 * What carries this process's changes to the other nodes of a cluster and theirs back (the feed
 * relay). Absent: a single process, and the feed is what it was.
 */
export interface FeedRelayPort {
  /** Whether another node watches `deviceId` now: its values and events are sent only then. */
  wantedElsewhere(deviceId: number): boolean;
  /** A change accepted here, for the other nodes (presence always, the rest when wanted). */
  send(deviceId: number, change: DeviceChange): void;
  /** This process started (true) or stopped (false) watching `deviceId`. */
  watching(deviceId: number, watched: boolean): void;
  /** Resolves once the other nodes were told that `deviceId` is watched here (bounded wait). */
  told(deviceId: number): Promise<void>;
}

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
  #relay: FeedRelayPort | undefined;

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  /** Listeners registered now, over all devices. */
  get size(): number {
    return this.#count;
  }

  /** Connects the cluster's relay (one at a time); returns the way to disconnect it. */
  attachRelay(relay: FeedRelayPort): () => void {
    this.#relay = relay;
    for (const deviceId of this.#listeners.keys()) relay.watching(deviceId, true);
    return () => {
      if (this.#relay === relay) this.#relay = undefined;
    };
  }

  /** Devices with a listener here now (the relay tells the other nodes). */
  watchedDevices(): number[] {
    return [...this.#listeners.keys()];
  }

  /**
   * Resolves once a change of `deviceId` accepted on another node from now on reaches this
   * process's listeners: at once without a relay.
   */
  ready(deviceId: number): Promise<void> {
    return this.#relay?.told(deviceId) ?? Promise.resolve();
  }

  /** A change another node accepted: for this process's listeners only, never sent on again. */
  replay(deviceId: number, change: DeviceChange): void {
    const set = this.#listeners.get(deviceId);
    if (set !== undefined) this.#emit(set, change);
  }

  /** Registers `listener` for `deviceId`; returns the (idempotent) way to remove it. */
  subscribe(deviceId: number, listener: DeviceChangeListener): () => void {
    let set = this.#listeners.get(deviceId);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(deviceId, set);
      this.#relay?.watching(deviceId, true);
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
      if (listeners.size === 0 && this.#listeners.get(deviceId) === listeners) {
        this.#listeners.delete(deviceId);
        this.#relay?.watching(deviceId, false);
      }
    };
  }

  /** Values stored for `deviceId` (the write path: one lookup when nobody watches). */
  values(deviceId: number, points: readonly Point[]): void {
    const set = this.#listeners.get(deviceId);
    const relay = this.#relay?.wantedElsewhere(deviceId) === true ? this.#relay : undefined;
    if (set === undefined && relay === undefined) return;
    for (const p of points) {
      const change: DeviceChange = { kind: 'value', dataStreamId: p.dataStreamId, value: p.value, ts: p.ts };
      if (set !== undefined) this.#emit(set, change);
      relay?.send(deviceId, change);
    }
  }

  /** A connection change recorded for `deviceId` (always relayed: other nodes answer presence). */
  presence(deviceId: number, connected: boolean, at: number): void {
    const set = this.#listeners.get(deviceId);
    const relay = this.#relay;
    if (set === undefined && relay === undefined) return;
    const change: DeviceChange = { kind: 'online', connected, at };
    if (set !== undefined) this.#emit(set, change);
    relay?.send(deviceId, change);
  }

  /** An event logged for `record.deviceId`. */
  event(record: DeviceEventRecord, type?: EventType): void {
    const set = this.#listeners.get(record.deviceId);
    const relay = this.#relay?.wantedElsewhere(record.deviceId) === true ? this.#relay : undefined;
    if (set === undefined && relay === undefined) return;
    const change: DeviceChange =
      type === undefined ? { kind: 'event', record } : { kind: 'event', record, type };
    if (set !== undefined) this.#emit(set, change);
    relay?.send(record.deviceId, change);
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
