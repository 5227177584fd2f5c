/**
 * The persistence ports of the engine: what the broker needs from a session and retained-message
 * store. The broker owns these interfaces; src/store/ implements them (memory, SQLite), so the
 * broker never imports a concrete store (docs/architecture.md, decision 0019).
 */

import type { QoS } from '../mqtt/codec/packet.js';
import type { ClientIdentity } from './auth.js';
import type { BrokerMessage } from './message.js';

/** A subscription as persisted with its session. */
export interface PersistedSubscription {
  readonly filter: string;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionId?: number;
  /** The internal filter the router matches, when an adapter mapped `filter` (absent = `filter`). */
  readonly matchFilter?: string;
  /**
   * True when `filter` is a sealed form (Subscription.storedFilter), not the wire filter: the wire
   * filter held a secret, and the broker's FilterSeal recovers it on restore.
   */
  readonly sealed?: true;
}

/** A will message waiting for its delay (or for the session to end). */
export interface PersistedWill {
  readonly message: BrokerMessage;
  /** Epoch ms at which the will is due. */
  readonly dueAt: number;
  /**
   * Set while the will's connection is open (in a cluster): the will is due this many seconds
   * after the connection is lost, and `dueAt` means nothing yet. A node that adopts the session of
   * a dead node finds it so and publishes it [MQTT-3.1.2-8].
   */
  readonly whileConnectedDelay?: number;
}

/** The durable part of a session (not its queue; see PersistedOutbound). */
export interface PersistedSession {
  readonly clientId: string;
  readonly protocolVersion: 3 | 4 | 5;
  /** Seconds; 0xFFFFFFFF never expires (capped by config on load). */
  readonly expiryInterval: number;
  /** Epoch ms of the last disconnect, or null while connected. */
  readonly disconnectedAt: number | null;
  readonly subscriptions: readonly PersistedSubscription[];
  readonly will?: PersistedWill;
  /** Who the session belongs to (JSON-serializable), so per-delivery checks work before it reconnects. */
  readonly identity?: ClientIdentity;
}

/**
 * One outbound QoS 1/2 message of a session: waiting in the queue (`queued`, no packet id yet),
 * sent and unacknowledged (`publish`), or PUBREC received and PUBREL sent (`pubrel`).
 */
export interface PersistedOutbound {
  /** Per-session monotonic sequence number: the delivery order. */
  readonly seq: number;
  readonly packetId: number | null;
  readonly state: 'queued' | 'publish' | 'pubrel';
  readonly message: BrokerMessage;
  /** v5 subscription identifiers the message is delivered with [MQTT-3.3.4-3]. */
  readonly subscriptionIds?: readonly number[];
}

/** Everything needed to rebuild one session after a restart. */
export interface LoadedSession {
  readonly session: PersistedSession;
  /** Sorted by seq ascending. */
  readonly outbound: readonly PersistedOutbound[];
  /** Packet ids of inbound QoS 2 messages received (PUBREC sent) but not yet released. */
  readonly inboundQoS2: readonly number[];
}

/**
 * Durable session state. Writes are queued and applied in order; `flush()` resolves once every
 * write issued before it is durable. Implementations batch writes in transactions.
 */
export interface SessionStore {
  /** Every stored session with its outbound messages and inbound QoS 2 ids. */
  loadAll(): Promise<LoadedSession[]>;
  /**
   * The stored sessions among `clientIds` (unknown ids are left out), shaped as `loadAll` returns
   * them, after every write issued before the call. A cluster node reads a session it just claimed
   * from another node this way; what that node flushed before releasing it is visible.
   */
  load(clientIds: readonly string[]): Promise<LoadedSession[]>;
  /** Inserts or replaces the session row (subscriptions, expiry, will, disconnectedAt). */
  putSession(session: PersistedSession): void;
  /** Removes the session and everything that belongs to it. */
  deleteSession(clientId: string): void;
  /** Inserts or replaces an outbound message keyed by (clientId, seq). */
  putOutbound(clientId: string, outbound: PersistedOutbound): void;
  deleteOutbound(clientId: string, seq: number): void;
  addInboundQoS2(clientId: string, packetId: number): void;
  deleteInboundQoS2(clientId: string, packetId: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Durable retained messages, keyed by topic. Same write/flush semantics as SessionStore. */
export interface RetainedStore {
  loadAll(): Promise<BrokerMessage[]>;
  put(message: BrokerMessage): void;
  delete(topic: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The stores the engine persists to. */
export interface EngineStores {
  readonly sessions: SessionStore;
  readonly retained: RetainedStore;
  /**
   * Leaves no trace of deleted or rewritten rows in the files (the file rewritten, the WAL
   * emptied), after rows that held secrets in clear text were rewritten. Absent: nothing on disk.
   */
  scrub?(): Promise<void>;
  close(): Promise<void>;
}
