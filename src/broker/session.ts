import Denque from 'denque';
import type { Limits } from '../config/limits.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { ProtocolVersion } from '../mqtt/codec/packet.js';
import type { EngineMetrics } from '../observability/metrics.js';
import type { ClientIdentity } from './auth.js';
import type { BrokerMessage } from './message.js';
import type { RecentOrigins } from './recent-origins.js';
import type { SessionLink } from './session-link.js';
import type { PersistedOutbound, PersistedSession, PersistedWill, SessionStore } from './store-ports.js';
import type { Subscription } from './subscription.js';
import type { PendingWill } from './will.js';

/** One outbound QoS 1/2 message: queued (no id yet), sent (`publish`) or released (`pubrel`). */
export interface OutboundEntry {
  readonly seq: number;
  packetId: number | null;
  state: 'queued' | 'publish' | 'pubrel';
  readonly message: BrokerMessage;
  readonly subscriptionIds: readonly number[] | undefined;
}

export interface SessionDeps {
  readonly limits: Limits;
  readonly metrics: EngineMetrics;
  readonly store: SessionStore | undefined;
  readonly clock: Clock;
  readonly onDropped: (clientId: string, reason: string) => void;
}

/**
 * The state that outlives a connection [MQTT-4.1]: subscriptions, QoS 1/2 messages in flight or
 * queued, inbound QoS 2 ids. Written through to the store while its expiry interval is above 0.
 */
export class Session {
  // The collections are made on first use: empty, they would cost ~750 bytes per idle session.
  private subscriptionMap: Map<string, Subscription> | undefined;
  private inflightMap: Map<number, OutboundEntry> | undefined;
  // Queues are O(1) FIFOs: a deep backlog (100k+ entries) drains at wire speed, where an array's
  // shift() copies the whole backlog per message.
  private queued: Denque<OutboundEntry> | undefined;
  private inboundQoS2Ids: Set<number> | undefined;
  /**
   * In-flight entries of a previous connection not yet resent on this one (receive window full),
   * in send order. An entry completed or released meanwhile leaves `awaitingSet` at once and is
   * skipped when it reaches the front, so an acknowledgement never scans the queue.
   */
  private awaitingResend: Denque<OutboundEntry> | undefined;
  private awaitingSet: Set<OutboundEntry> | undefined;
  link: SessionLink | undefined;
  /** The identity of the connection that last owned the session (per-delivery read checks). */
  identity: ClientIdentity;
  disconnectedAt: number | null = null;
  /** The credential this session is counted under (SessionQuota); undefined: not counted. */
  quotaKey: string | undefined;
  expiryTimer: Timer | undefined;
  will: PendingWill | undefined;
  /**
   * In a cluster: the will of the attached connection as it would be published, kept in the
   * session row so a node adopting this session after this node died can publish it.
   */
  connectedWill: { readonly message: BrokerMessage; readonly delay: number } | undefined;
  /** In a cluster: the epoch of this node's claim on the session (released with that epoch). */
  ownerEpoch: number | undefined;
  /**
   * In a cluster: the epoch of the claim that moved this session here from another node, which
   * may relay copies for it meanwhile (Broker.deliverRelayed); absent for a session begun here.
   */
  movedInEpoch: number | undefined;
  /** In a cluster, for a while after the session moved here: the messages it took (one copy each). */
  movedInOrigins: RecentOrigins | undefined;
  private nextSeq = 1;
  private nextPacketId = 1;
  /** Another node of the cluster owns the session now; this copy is being dropped. */
  private moved = false;

  constructor(
    readonly clientId: string,
    public protocolVersion: ProtocolVersion,
    private expiry: number,
    private readonly deps: SessionDeps,
  ) {
    this.identity = { clientId };
  }

  get expiryInterval(): number {
    return this.expiry;
  }

  /** Subscriptions by wire filter. */
  get subscriptions(): Map<string, Subscription> {
    this.subscriptionMap ??= new Map();
    return this.subscriptionMap;
  }

  /** How many subscriptions the session holds (without making the map). */
  get subscriptionCount(): number {
    return this.subscriptionMap?.size ?? 0;
  }

  /** Outbound QoS 1/2 messages held: in flight or queued (without making the collections). */
  get pendingCount(): number {
    return (this.inflightMap?.size ?? 0) + (this.queued?.length ?? 0);
  }

  /** Outbound QoS 1/2 messages sent and not yet completed, by packet id. */
  get inflight(): Map<number, OutboundEntry> {
    this.inflightMap ??= new Map();
    return this.inflightMap;
  }

  /** Outbound QoS 1/2 messages waiting for the receive window (no packet id yet). */
  get queuedCount(): number {
    return this.queued?.length ?? 0;
  }

  /** In-flight messages of a previous connection still waiting to be resent on this one. */
  get awaitingResendCount(): number {
    return this.awaitingSet?.size ?? 0;
  }

  private get queue(): Denque<OutboundEntry> {
    this.queued ??= new Denque();
    return this.queued;
  }

  /** Inbound QoS 2 packet ids received and not yet released (PUBREL). */
  get inboundQoS2(): Set<number> {
    this.inboundQoS2Ids ??= new Set();
    return this.inboundQoS2Ids;
  }

  private get persistent(): boolean {
    return !this.moved && this.deps.store !== undefined && this.expiry > 0;
  }

  /** True once the session moved to another node of the cluster. */
  get movedAway(): boolean {
    return this.moved;
  }

  /**
   * The session moved to another node of the cluster: this copy writes nothing more to the shared
   * store, whose rows now belong to the new owner.
   */
  detach(): void {
    this.moved = true;
  }

  /** Changes the expiry interval; moving across 0 writes or deletes the whole session. */
  setExpiryInterval(seconds: number): void {
    const wasPersistent = this.persistent;
    this.expiry = seconds;
    if (this.persistent) {
      if (wasPersistent) this.saveState();
      else this.saveAll();
    } else if (wasPersistent) this.deps.store?.deleteSession(this.clientId);
  }

  /** Queues or sends one message copy. `message.qos`/`retain` are already this session's values. */
  deliver(message: BrokerMessage, subscriptionIds: readonly number[] | undefined): void {
    if (message.qos === 0) {
      const link = this.link;
      if (link === undefined) return; // QoS 0 is not queued for offline sessions [MQTT-3.1.2-5 allows either]
      if (link.isCongested()) {
        this.deps.metrics.droppedSlowConsumer++;
        this.deps.onDropped(this.clientId, 'slow consumer (write buffer full)');
        return;
      }
      link.sendPublish(message, undefined, false, subscriptionIds);
      return;
    }
    if (!this.canSendNow() && (this.queued?.length ?? 0) >= this.deps.limits.maxQueuedMessages) {
      this.deps.metrics.droppedQueueFull++;
      this.deps.onDropped(this.clientId, 'session queue full');
      return;
    }
    const entry: OutboundEntry = {
      seq: this.nextSeq++,
      packetId: null,
      state: 'queued',
      message,
      subscriptionIds,
    };
    if (this.canSendNow()) {
      this.send(entry);
      if (entry.packetId !== null && this.inflightMap?.get(entry.packetId) === entry)
        this.persistEntry(entry);
    } else {
      this.queue.push(entry);
      this.persistEntry(entry);
    }
  }

  /** Unacknowledged messages actually on the wire (resends still waiting for the window excluded). */
  private get sentCount(): number {
    return (this.inflightMap?.size ?? 0) - this.awaitingResendCount;
  }

  private canSendNow(): boolean {
    return (
      this.link !== undefined &&
      (this.queued?.length ?? 0) === 0 &&
      this.awaitingResendCount === 0 &&
      this.sentCount < this.link.sendQuota
    );
  }

  private send(entry: OutboundEntry): void {
    const link = this.link!;
    entry.packetId = this.allocatePacketId();
    entry.state = 'publish';
    this.inflight.set(entry.packetId, entry);
    if (link.sendPublish(entry.message, entry.packetId, false, entry.subscriptionIds) !== 'sent') {
      this.complete(entry.packetId); // [MQTT-3.1.2-25] treat as delivered
    }
  }

  private allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (this.inflightMap?.has(id) !== true) return id;
    }
  }

  /**
   * After (re)connect: resend unacknowledged PUBLISH (DUP) and PUBREL with their original packet
   * ids [MQTT-4.4.0-1], in order and within the new connection's receive window [MQTT-4.9.0-1];
   * then drain the queue.
   */
  resume(): void {
    const inflight = this.inflightMap;
    if (inflight === undefined || inflight.size === 0) {
      this.awaitingResend = undefined;
      this.awaitingSet = undefined;
    } else {
      const entries = [...inflight.values()]; // insertion order = send order
      this.awaitingResend = new Denque(entries);
      this.awaitingSet = new Set(entries);
    }
    this.drain();
  }

  /** Sends resends, then queued messages, while the client's receive window allows [MQTT-4.9.0-2]. */
  drain(): void {
    const link = this.link;
    while (link !== undefined && this.link === link && this.sentCount < link.sendQuota) {
      const resend = this.nextResend();
      if (resend !== undefined) {
        this.resend(link, resend);
        continue;
      }
      const entry = this.queued?.shift();
      if (entry === undefined) return;
      if (this.queued!.length === 0) this.queued = undefined; // a drained backlog leaves no large ring behind
      this.send(entry);
      if (this.inflightMap?.get(entry.packetId!) === entry) this.persistEntry(entry);
    }
  }

  /** The oldest entry still awaiting its resend (skipping those completed or released meanwhile). */
  private nextResend(): OutboundEntry | undefined {
    const waiting = this.awaitingSet;
    if (waiting === undefined) return undefined;
    for (
      let entry = this.awaitingResend!.shift();
      entry !== undefined;
      entry = this.awaitingResend!.shift()
    ) {
      if (!waiting.delete(entry)) continue;
      if (waiting.size === 0) this.stopResending();
      return entry;
    }
    this.stopResending();
    return undefined;
  }

  private stopResending(): void {
    this.awaitingResend = undefined;
    this.awaitingSet = undefined;
  }

  private resend(link: SessionLink, entry: OutboundEntry): void {
    if (this.inflightMap?.get(entry.packetId!) !== entry) return; // completed meanwhile
    if (entry.state === 'pubrel') link.sendPubrel(entry.packetId!);
    else if (link.sendPublish(entry.message, entry.packetId!, true, entry.subscriptionIds) !== 'sent') {
      this.complete(entry.packetId!);
    }
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2) arrived, or a send was abandoned. */
  complete(packetId: number): boolean {
    const entry = this.inflightMap?.get(packetId);
    if (entry === undefined) return false;
    this.inflightMap!.delete(packetId);
    entry.message.onAcknowledged?.(this.deps.clock.now());
    this.stopAwaitingResend(entry);
    if (this.persistent) this.deps.store!.deleteOutbound(this.clientId, entry.seq);
    return true;
  }

  /** PUBREC arrived for a QoS 2 message: it moves to `pubrel`. Returns false for an unknown id. */
  released(packetId: number): boolean {
    const entry = this.inflightMap?.get(packetId);
    if (entry === undefined || entry.message.qos !== 2) return false;
    entry.state = 'pubrel';
    this.stopAwaitingResend(entry); // its PUBREL goes out now, not again
    this.persistEntry(entry);
    return true;
  }

  private stopAwaitingResend(entry: OutboundEntry): void {
    const waiting = this.awaitingSet;
    if (waiting?.delete(entry) === true && waiting.size === 0) this.stopResending();
  }

  addInboundQoS2(packetId: number): void {
    this.inboundQoS2.add(packetId);
    if (this.persistent) this.deps.store!.addInboundQoS2(this.clientId, packetId);
  }

  deleteInboundQoS2(packetId: number): boolean {
    if (this.inboundQoS2Ids?.delete(packetId) !== true) return false;
    if (this.persistent) this.deps.store!.deleteInboundQoS2(this.clientId, packetId);
    return true;
  }

  /** Restores an entry loaded from the store. */
  restore(outbound: PersistedOutbound, subscriptionIds: readonly number[] | undefined): void {
    const entry: OutboundEntry = { ...outbound, subscriptionIds };
    if (entry.packetId !== null && entry.state !== 'queued') this.inflight.set(entry.packetId, entry);
    else this.queue.push(entry);
    this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
  }

  /** Writes the session row (subscriptions, expiry, will, disconnect time). */
  saveState(): void {
    if (this.persistent) this.deps.store!.putSession(this.toPersisted());
  }

  private saveAll(): void {
    this.saveState();
    for (const entry of this.inflightMap?.values() ?? []) this.persistEntry(entry);
    const queued = this.queued;
    for (let i = 0; i < (queued?.length ?? 0); i++) this.persistEntry(queued!.peekAt(i)!);
    for (const id of this.inboundQoS2Ids ?? []) this.deps.store!.addInboundQoS2(this.clientId, id);
  }

  private persistEntry(entry: OutboundEntry): void {
    if (!this.persistent) return;
    this.deps.store!.putOutbound(this.clientId, {
      seq: entry.seq,
      packetId: entry.packetId,
      state: entry.state,
      message: entry.message,
      ...(entry.subscriptionIds === undefined ? {} : { subscriptionIds: entry.subscriptionIds }),
    });
  }

  private toPersisted(): PersistedSession {
    const will: PersistedWill | undefined =
      this.will === undefined
        ? this.connectedWill && {
            message: this.connectedWill.message,
            dueAt: 0,
            whileConnectedDelay: this.connectedWill.delay,
          }
        : { message: this.will.message, dueAt: this.will.dueAt };
    return {
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiry,
      disconnectedAt: this.disconnectedAt,
      subscriptions: [...(this.subscriptionMap?.values() ?? [])].map((s) => ({
        // A wire filter holding a secret is stored sealed, never as sent.
        filter: s.storedFilter ?? s.filter,
        ...(s.storedFilter === undefined ? {} : { sealed: true as const }),
        qos: s.qos,
        noLocal: s.noLocal,
        retainAsPublished: s.retainAsPublished,
        retainHandling: s.retainHandling,
        ...(s.subscriptionId === undefined ? {} : { subscriptionId: s.subscriptionId }),
        ...(s.shareName === undefined && s.topicFilter !== s.filter ? { matchFilter: s.topicFilter } : {}),
      })),
      ...(will === undefined ? {} : { will }),
      identity: this.identity,
    };
  }
}
