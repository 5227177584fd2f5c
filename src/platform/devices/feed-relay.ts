import Denque from 'denque';
import type { Logger } from '../../observability/logger.js';
import type { DeviceChange, DeviceFeed, FeedRelayPort } from './device-feed.js';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  type RelayedChange,
  type RelayMessage,
} from './feed-relay-wire.js';

/** The channel between the nodes (Redis pub/sub in a cluster): every node gets every message, its own too. */
export interface FeedBus {
  /** Sends `text` to every subscribed node; rejects when it could not (never queues). */
  publish(text: string): Promise<void>;
}

export interface FeedRelayLimits {
  /** Changes waiting to be sent (beyond them new changes are dropped and counted). */
  readonly maxQueuedChanges: number;
  /** Changes per message. */
  readonly changesPerMessage: number;
  /** Device ids per `online` message. */
  readonly devicesPerMessage: number;
  /** How often a node says it is there (with what it watches). */
  readonly beatMs: number;
  /** A node not heard from for this long is forgotten: its watchers and its online devices. */
  readonly silentAfterMs: number;
  /** How long a new stream waits for the other nodes to be told it watches (then it starts anyway). */
  readonly tellTimeoutMs: number;
}

export const defaultFeedRelayLimits: FeedRelayLimits = {
  // A gateway that starts speaking for many devices records their presence in batches of 5,000.
  maxQueuedChanges: 50_000,
  changesPerMessage: 1_000,
  devicesPerMessage: 5_000,
  beatMs: 5_000,
  silentAfterMs: 20_000,
  tellTimeoutMs: 1_000,
};

export interface FeedRelayOptions {
  readonly nodeId: string;
  readonly feed: DeviceFeed;
  readonly bus: FeedBus;
  readonly logger: Logger;
  readonly limits?: Partial<FeedRelayLimits>;
  readonly now?: () => number;
}

/** What the relay did, for logs and tests. */
export interface FeedRelayCounts {
  sent: number;
  received: number;
  /** Changes not sent because the queue was full. */
  dropped: number;
  /** Changes whose message could not be sent (the channel was away). */
  lost: number;
  malformed: number;
}

/**
 * The device feed across the nodes of a cluster. Each node sends the changes it accepts, compact,
 * on one channel: presence changes always (every node answers "is it online"), values and events
 * only of devices a live stream on another node watches (each node says which). Each node replays
 * the others' changes into its own feed (never its own: they reached its listeners already), so a
 * stream on any node sees every node's changes once. Sending is queued (bounded) and sequential,
 * so one node's changes arrive in the order it accepted them.
 */
export class FeedRelay implements FeedRelayPort {
  readonly counts: FeedRelayCounts = { sent: 0, received: 0, dropped: 0, lost: 0, malformed: 0 };
  readonly #options: FeedRelayOptions;
  readonly #limits: FeedRelayLimits;
  readonly #now: () => number;
  readonly #node: string;
  /** Other nodes: what their streams watch, which devices are online there, when last heard. */
  readonly #watchedBy = new Map<string, Set<number>>();
  readonly #onlineAt = new Map<string, Set<number>>();
  readonly #incoming = new Map<string, { round: number; devices: Set<number> }>();
  readonly #lastHeard = new Map<string, number>();
  /** Devices online here, as this node recorded them (announced to nodes that ask). */
  readonly #localOnline = new Set<number>();
  readonly #told = new Map<number, Promise<void>>();
  /** O(1) FIFO (decision 0010): a burst of presence changes may queue thousands. */
  readonly #queue = new Denque<RelayedChange>();
  #pumping = false;
  #round = 0;
  #troubled = false;
  #timer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;
  #closed = false;

  constructor(options: FeedRelayOptions) {
    this.#options = options;
    this.#node = options.nodeId;
    this.#limits = { ...defaultFeedRelayLimits, ...options.limits };
    this.#now = options.now ?? Date.now;
  }

  /** Joins the feed (before the first change is accepted) and starts the beat. */
  start(): void {
    this.#detach = this.#options.feed.attachRelay(this);
    this.#timer = setInterval(() => this.#beat(), this.#limits.beatMs);
    this.#timer.unref();
  }

  /** The channel is (again) subscribed: what was known of the others may be stale, ask anew. */
  joined(): void {
    if (this.#closed) return;
    this.#watchedBy.clear();
    this.#onlineAt.clear();
    this.#incoming.clear();
    this.#lastHeard.clear();
    this.#publish({ type: 'hello', node: this.#node });
    this.#announce();
  }

  /** True when another node recorded `deviceId` Online last (spec §5.10 presence there). */
  onlineElsewhere(deviceId: number): boolean {
    for (const devices of this.#onlineAt.values()) if (devices.has(deviceId)) return true;
    return false;
  }

  /** Devices another node says are online (each once). */
  onlineElsewhereCount(): number {
    const all = new Set<number>();
    for (const devices of this.#onlineAt.values()) for (const id of devices) all.add(id);
    return all.size;
  }

  wantedElsewhere(deviceId: number): boolean {
    for (const devices of this.#watchedBy.values()) if (devices.has(deviceId)) return true;
    return false;
  }

  send(deviceId: number, change: DeviceChange): void {
    if (this.#closed) return;
    if (change.kind === 'online') {
      // This node has the latest word on the device now: what others said before is stale.
      if (change.connected) this.#localOnline.add(deviceId);
      else this.#localOnline.delete(deviceId);
      for (const devices of this.#onlineAt.values()) devices.delete(deviceId);
    }
    if (this.#queue.length >= this.#limits.maxQueuedChanges) {
      this.counts.dropped++;
      this.#trouble('device feed relay queue full; changes for other nodes dropped');
      return;
    }
    this.#queue.push({ deviceId, change });
    if (!this.#pumping) {
      this.#pumping = true;
      setImmediate(() => void this.#pump());
    }
  }

  watching(deviceId: number, watched: boolean): void {
    if (this.#closed) return;
    const told = this.#publish({
      type: watched ? 'watch' : 'unwatch',
      node: this.#node,
      devices: [deviceId],
    });
    if (!watched) return;
    this.#told.set(deviceId, told);
    void told.then(() => {
      if (this.#told.get(deviceId) === told) this.#told.delete(deviceId);
    });
  }

  told(deviceId: number): Promise<void> {
    const told = this.#told.get(deviceId);
    if (told === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#limits.tellTimeoutMs);
      void told.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** One message from the channel (any node's, this one's included). */
  receive(text: string): void {
    if (this.#closed) return;
    const message = decodeRelayMessage(text);
    if (message === undefined) {
      this.counts.malformed++;
      if (this.counts.malformed === 1 || this.counts.malformed % 1000 === 0)
        this.#options.logger.warn(
          { malformed: this.counts.malformed },
          'ignored malformed device feed relay messages',
        );
      return;
    }
    if (message.node === this.#node) return;
    this.#lastHeard.set(message.node, this.#now());
    switch (message.type) {
      case 'changes':
        for (const { deviceId, change } of message.changes) this.#replay(message.node, deviceId, change);
        return;
      case 'watch':
        for (const id of message.devices) setOf(this.#watchedBy, message.node).add(id);
        return;
      case 'unwatch':
        for (const id of message.devices) this.#watchedBy.get(message.node)?.delete(id);
        return;
      case 'beat':
        this.#watchedBy.set(message.node, new Set(message.devices));
        return;
      case 'online':
        this.#onlinePart(message);
        return;
      case 'hello':
        this.#announce();
        return;
      case 'bye':
        this.#forget(message.node);
        return;
    }
  }

  /** Says goodbye (best effort) and leaves the feed; changes still queued are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#detach?.();
    clearInterval(this.#timer);
    const bye = this.#publish({ type: 'bye', node: this.#node });
    this.#closed = true;
    this.#queue.clear();
    await bye;
  }

  #replay(node: string, deviceId: number, change: DeviceChange): void {
    this.counts.received++;
    if (change.kind === 'online') {
      if (change.connected) {
        for (const devices of this.#onlineAt.values()) devices.delete(deviceId);
        setOf(this.#onlineAt, node).add(deviceId);
      } else this.#onlineAt.get(node)?.delete(deviceId);
    }
    this.#options.feed.replay(deviceId, change);
  }

  #onlinePart(message: Extract<RelayMessage, { type: 'online' }>): void {
    let incoming = this.#incoming.get(message.node);
    if (incoming === undefined || incoming.round !== message.round) {
      incoming = { round: message.round, devices: new Set() };
      this.#incoming.set(message.node, incoming);
    }
    for (const id of message.devices) incoming.devices.add(id);
    if (!message.last) return;
    this.#incoming.delete(message.node);
    this.#onlineAt.set(message.node, incoming.devices);
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const changes: RelayedChange[] = [];
      while (changes.length < this.#limits.changesPerMessage && this.#queue.length > 0)
        changes.push(this.#queue.shift() as RelayedChange);
      try {
        await this.#options.bus.publish(encodeRelayMessage({ type: 'changes', node: this.#node, changes }));
        this.counts.sent += changes.length;
        this.#recovered();
      } catch {
        this.counts.lost += changes.length;
        this.#trouble(
          'device feed relay cannot reach the other nodes; their streams miss this node’s changes',
        );
      }
    }
    this.#pumping = false;
  }

  /** This node's watchers and online devices, for nodes that (re)joined. */
  #announce(): void {
    this.#publish({ type: 'beat', node: this.#node, devices: this.#options.feed.watchedDevices() });
    const round = ++this.#round;
    const online = [...this.#localOnline];
    const size = this.#limits.devicesPerMessage;
    for (let from = 0; from === 0 || from < online.length; from += size) {
      const devices = online.slice(from, from + size);
      const last = from + size >= online.length;
      this.#publish({ type: 'online', node: this.#node, round, last, devices });
    }
  }

  #beat(): void {
    this.#publish({ type: 'beat', node: this.#node, devices: this.#options.feed.watchedDevices() });
    const silentSince = this.#now() - this.#limits.silentAfterMs;
    for (const [node, heard] of this.#lastHeard) if (heard < silentSince) this.#forget(node);
  }

  #forget(node: string): void {
    this.#lastHeard.delete(node);
    this.#watchedBy.delete(node);
    this.#onlineAt.delete(node);
    this.#incoming.delete(node);
  }

  /** Sends a control message; resolves either way (a lost one is made good by the next beat). */
  #publish(message: RelayMessage): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#options.bus.publish(encodeRelayMessage(message)).then(
      () => this.#recovered(),
      () => this.#trouble('device feed relay cannot reach the other nodes'),
    );
  }

  #trouble(text: string): void {
    if (this.#troubled) return;
    this.#troubled = true;
    this.#options.logger.warn({ counts: this.counts }, text);
  }

  #recovered(): void {
    if (!this.#troubled) return;
    this.#troubled = false;
    this.#options.logger.info({ counts: this.counts }, 'device feed relay reaches the other nodes again');
  }
}

function setOf(map: Map<string, Set<number>>, node: string): Set<number> {
  let set = map.get(node);
  if (set === undefined) {
    set = new Set();
    map.set(node, set);
  }
  return set;
}
