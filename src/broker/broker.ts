import type { Logger } from 'pino';
import type { Limits } from '../config/limits.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { topicMatches } from '../mqtt/topic/match.js';
import { redactTopic } from '../mqtt/topic/redact.js';
import type { ThrottleStats } from '../observability/auth-throttle-collectors.js';
import { ConnectionLog } from '../observability/connection-log.js';
import { DropLog } from '../observability/drop-log.js';
import { EngineMetrics } from '../observability/metrics.js';
import type { Authenticator, Authorizer, ClientIdentity, ConnectionInfo } from './auth.js';
import type { ClusterPort, ClusterRoute, RelayedCopy } from './cluster-port.js';
import type { FilterSeal } from './filter-seal.js';
import type { BrokerMessage } from './message.js';
import { RetainedMessages } from './retained.js';
import { type Delivery, Router } from './router.js';
import { Session, type SessionDeps } from './session.js';
import type { SessionLink } from './session-link.js';
import { SessionQuota } from './session-quota.js';
import { SessionRelays } from './session-relays.js';
import { restoreSessions } from './session-restore.js';
import type { EngineStores, LoadedSession } from './store-ports.js';
import type { Subscription } from './subscription.js';
import type { WillSpec } from './will.js';
import { WillScheduler } from './will-scheduler.js';

export interface BrokerOptions {
  readonly limits: Limits;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  /** Durable stores; absent = sessions and retained messages live in memory only. */
  readonly stores?: EngineStores | undefined;
  readonly clock?: Clock;
  readonly metrics?: EngineMetrics;
  /** Unseals stored subscriptions whose wire filter held a secret (absent: they are dropped). */
  readonly filterSeal?: FilterSeal | undefined;
  /** The failed-login throttle in front of `authenticator` (its counters go to /metrics). */
  readonly authThrottle?: ThrottleStats;
  /** One info line per CONNECT accepted or refused and per disconnect (default true). */
  readonly logConnections?: boolean;
  /** The other nodes of a cluster (decision 0029); absent: this broker is alone. */
  readonly cluster?: ClusterPort | undefined;
}

/** A live transport connection, as the broker sees it: something to shut down gracefully. */
export interface ManagedConnection {
  /** Server shutdown: DISCONNECT 0x8B (v5), close, resolve once the socket has closed. */
  shutdown(): Promise<void>;
  /** Transport and protocol version once CONNECT was accepted (metrics); undefined before. */
  describe?(): ConnectionDescription | undefined;
}

/** One accepted connection as the metrics see it: no client id, no address. */
export interface ConnectionDescription {
  readonly transport: ConnectionInfo['transport'];
  /** The listener's port; undefined when the transport does not know it. */
  readonly port: number | undefined;
  readonly protocolVersion: 3 | 4 | 5;
}

/** What the broker holds now, walked on each metrics scrape and `$SYS` update. */
export interface SessionStats {
  /** Sessions with a live connection. */
  readonly connected: number;
  /** Sessions kept for a client that is not connected (waiting for their expiry). */
  readonly disconnected: number;
  readonly subscriptions: number;
  /** Outbound QoS 1/2 messages held for sessions: in flight or queued. */
  readonly pending: number;
}

export interface OpenSessionRequest {
  readonly clientId: string;
  readonly cleanStart: boolean;
  readonly expiryInterval: number;
  readonly protocolVersion: 3 | 4 | 5;
  readonly identity: ClientIdentity;
  /** In a cluster: the epoch this node claimed the session at (acquireSession). */
  readonly ownerEpoch?: number | undefined;
}

/**
 * The routing core: sessions, subscriptions, retained messages and wills. Transport- and
 * protocol-version-agnostic; channels talk to it, it talks to sessions through SessionLink.
 */
export class Broker {
  readonly limits: Limits;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  readonly connectionLog: ConnectionLog;
  readonly clock: Clock;
  readonly metrics: EngineMetrics;
  readonly authThrottle: ThrottleStats | undefined;
  readonly retained: RetainedMessages;
  private readonly stores: EngineStores | undefined;
  private readonly filterSeal: FilterSeal | undefined;
  private readonly cluster: ClusterPort | undefined;
  private readonly router = new Router();
  private readonly sessions = new Map<string, Session>();
  /** Cluster claims in progress by session key, each settled one turn after its CONNECT went on. */
  private readonly acquiring = new Map<string, Promise<void>>();
  /** Adoptions of a dead node's sessions in progress (adoptSessions); evictions wait for them. */
  private readonly adoptions = new Set<Promise<void>>();
  private readonly sessionQuota: SessionQuota;
  private readonly connections = new Set<ManagedConnection>();
  private closing = false;
  private readonly dropLog: DropLog;
  /** What every session needs from the broker: one object shared by all of them. */
  private readonly sessionDeps: SessionDeps;
  /** Wills waiting for their delay or the end of their session. */
  readonly wills: WillScheduler;
  /** In a cluster: sessions taken over by another node whose messages are relayed there for a while. */
  private readonly relays: SessionRelays;

  constructor(options: BrokerOptions) {
    this.limits = options.limits;
    this.authenticator = options.authenticator;
    this.authorizer = options.authorizer;
    this.logger = options.logger;
    this.connectionLog = new ConnectionLog(options.logConnections === false ? undefined : this.logger);
    this.stores = options.stores;
    this.filterSeal = options.filterSeal;
    this.cluster = options.cluster;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? new EngineMetrics();
    this.authThrottle = options.authThrottle;
    this.sessionQuota = new SessionQuota(this.limits.maxSessionsPerCredential ?? 0);
    this.dropLog = new DropLog(this.logger);
    const dropLog = this.dropLog;
    this.sessionDeps = {
      limits: this.limits,
      metrics: this.metrics,
      store: this.stores?.sessions,
      clock: this.clock,
      onDropped: (id, reason) => dropLog.record(id, reason),
    };
    this.retained = new RetainedMessages(this.stores?.retained, this.limits.maxRetainedMessages);
    const cluster = this.cluster;
    if (cluster !== undefined) this.retained.onChange = (message) => cluster.retained(message);
    this.relays = new SessionRelays(
      (sessionKey) => this.endRelay(sessionKey),
      (node, routes) => cluster?.routesReached(node, routes) ?? true,
    );
    this.wills = new WillScheduler({
      clock: this.clock,
      authorizer: this.authorizer,
      logger: this.logger,
      publish: (message) => this.publish(message),
      isLive: (session) => this.sessions.get(session.clientId) === session,
      // A persistent session keeps the will in its row; one that ends with its connection has none.
      kept: (session, will) => {
        if (session.expiryInterval === 0 && session.ownerEpoch !== undefined)
          cluster?.keepWill(session.clientId, session.ownerEpoch, will);
      },
    });
  }

  /** Loads persisted retained messages and sessions. */
  async start(): Promise<void> {
    if (this.stores === undefined) return;
    this.retained.load(await this.stores.retained.loadAll());
    const loaded = await this.loadOwnSessions(this.stores);
    const { dropped, resealed } = await restoreSessions(this, loaded, this.filterSeal);
    if (dropped > 0)
      this.logger.info(
        { subscriptions: dropped },
        'stored subscriptions dropped: their secret is no longer valid',
      );
    if (resealed > 0) {
      // Rows of an older devgate held secrets in clear text: rewrite them, then wipe the old pages.
      await this.stores.sessions.flush();
      await this.stores.scrub?.();
      this.logger.info({ sessions: resealed }, 'stored sessions rewritten without clear-text secrets');
    }
    this.logger.info({ sessions: this.sessions.size, retained: this.retained.size }, 'engine state restored');
  }

  /** Every stored session alone; in a cluster, the ones this node owned when it stopped. */
  private async loadOwnSessions(stores: EngineStores): Promise<LoadedSession[]> {
    if (this.cluster === undefined) return stores.sessions.loadAll();
    const owned = await this.cluster.ownedSessions();
    return owned.length === 0 ? [] : stores.sessions.load(owned);
  }

  /**
   * Registers a transport connection (counted for `maxConnections`, shut down by `close()`);
   * false when the broker is closing. `detach` unregisters it (no closure per connection).
   */
  attach(connection: ManagedConnection): boolean {
    if (this.closing) return false;
    this.connections.add(connection);
    return true;
  }

  detach(connection: ManagedConnection): void {
    this.connections.delete(connection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Accepted connections per transport and protocol version (walked on each metrics scrape). */
  connectionStats(): Map<string, { description: ConnectionDescription; count: number }> {
    const stats = new Map<string, { description: ConnectionDescription; count: number }>();
    for (const connection of this.connections) {
      const description = connection.describe?.();
      if (description === undefined) continue;
      const key = `${description.transport}/${description.port}/${description.protocolVersion}`;
      const entry = stats.get(key);
      if (entry === undefined) stats.set(key, { description, count: 1 });
      else entry.count++;
    }
    return stats;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Sessions by state, subscriptions and pending messages: one walk of every session. */
  sessionStats(): SessionStats {
    let connected = 0;
    let subscriptions = 0;
    let pending = 0;
    for (const session of this.sessions.values()) {
      if (session.link !== undefined) connected++;
      subscriptions += session.subscriptionCount;
      pending += session.pendingCount;
    }
    return { connected, disconnected: this.sessions.size - connected, subscriptions, pending };
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Creates a session object registered in the broker (used by CONNECT and by restore). */
  createSession(clientId: string, protocolVersion: 3 | 4 | 5, expiryInterval: number): Session {
    this.endRelay(clientId); // the session came back here: its new routes replace the relayed ones
    const session = new Session(clientId, protocolVersion, expiryInterval, this.sessionDeps);
    this.sessions.set(clientId, session);
    return session;
  }

  /**
   * False when opening the session `sessionKey` for `identity` would exceed its credential's
   * session cap. Taking over or restarting a session of the same credential never does.
   */
  sessionAllowed(sessionKey: string, identity: ClientIdentity): boolean {
    return this.sessionQuota.allows(identity, this.sessions.get(sessionKey)?.quotaKey);
  }

  /** Sessions counted against `credential` now. */
  sessionsOf(credential: string): number {
    return this.sessionQuota.count(credential);
  }

  /** Counts `session` under the credential of its identity (moving it from a previous owner). */
  claimSession(session: Session): void {
    const key = session.identity.credential;
    this.sessionQuota.move(session.quotaKey, key);
    session.quotaKey = key;
  }

  /**
   * Attaches a connection to its session: takes over a live one [MQTT-3.1.4-3], discards it on
   * clean start [MQTT-3.1.2-4], otherwise resumes it [MQTT-3.1.2-5].
   */
  openSession(request: OpenSessionRequest, link: SessionLink): { session: Session; present: boolean } {
    let session = this.sessions.get(request.clientId);
    if (session?.link !== undefined) {
      const previous = session.link;
      session.link = undefined;
      this.metrics.sessionTakeovers++;
      previous.takeOver();
    }
    // Clean start, or a session that ends with its connection (expiry 0), is not resumed
    // [MQTT-3.1.2-4], [MQTT-3.1.2-6 (3.1.1)], [MQTT-3.1.4-4].
    if (session !== undefined && (request.cleanStart || session.expiryInterval === 0)) {
      this.endSession(session, false); // the key stays owned here: the new session takes it
      session = undefined;
    }
    const present = session !== undefined;
    if (session === undefined) {
      session = this.createSession(request.clientId, request.protocolVersion, request.expiryInterval);
    } else {
      session.expiryTimer?.cancel();
      session.expiryTimer = undefined;
      this.wills.cancel(session); // reconnected within the will delay [MQTT-3.1.3-9]
      session.protocolVersion = request.protocolVersion;
    }
    session.identity = request.identity;
    session.ownerEpoch = request.ownerEpoch;
    this.claimSession(session);
    session.link = link;
    session.connectedWill = undefined; // the previous connection's; this one's comes with keepWill
    session.disconnectedAt = null;
    session.setExpiryInterval(request.expiryInterval);
    session.saveState();
    return { session, present };
  }

  /**
   * Before a connection attaches to `sessionKey`: in a cluster, makes this node the session's owner
   * (a connection to it on another node is closed with 0x8E [MQTT-3.1.4-3]) and loads the state
   * that node left in the shared store. Rejects when ownership cannot be decided.
   */
  acquireSession(sessionKey: string, resume = true): Promise<number> | undefined {
    const cluster = this.cluster;
    if (cluster === undefined) return undefined;
    const acquired = this.claimAndLoad(cluster, sessionKey, resume);
    const settled = acquired.then(nextTurn, nextTurn);
    this.acquiring.set(sessionKey, settled);
    void settled.then(() => {
      if (this.acquiring.get(sessionKey) === settled) this.acquiring.delete(sessionKey);
    });
    return acquired;
  }

  /**
   * Resolves once no connection here is still acquiring `sessionKey` (its CONNECT has attached
   * or failed), so a takeover from another node sees the session that connection opened.
   */
  async settled(sessionKey: string): Promise<void> {
    for (let pending = this.acquiring.get(sessionKey); pending !== undefined; ) {
      await pending;
      pending = this.acquiring.get(sessionKey);
    }
  }

  /** Resolves with the epoch this node holds the session at. */
  private async claimAndLoad(cluster: ClusterPort, sessionKey: string, resume: boolean): Promise<number> {
    const claim = await cluster.claim(sessionKey, resume);
    // This node may be adopting the session from a dead node: it attaches to the adopted one.
    if (this.adoptions.size > 0) await Promise.all(this.adoptions);
    if (!claim.moved || this.stores === undefined || this.sessions.has(sessionKey)) return claim.epoch;
    const loaded = await this.stores.sessions.load([sessionKey]);
    // A connection here got there first: its session stands.
    if (!this.sessions.has(sessionKey) && !this.closing) {
      await restoreSessions(this, loaded, this.filterSeal);
      this.movedIn(cluster, sessionKey, claim.epoch);
    }
    return claim.epoch;
  }

  /**
   * The session moved here from another node at `epoch` and is restored: it takes the copies that
   * node relayed meanwhile (and only this copy of it does: a clean start replaces it).
   */
  private movedIn(cluster: ClusterPort, sessionKey: string, epoch: number): void {
    const held = cluster.movedIn(sessionKey, epoch);
    const session = this.sessions.get(sessionKey);
    if (session === undefined) return;
    session.movedInEpoch = epoch;
    for (const copy of held) session.deliver(copy.message, copy.subscriptionIds);
  }

  /** A copy the previous owner of `sessionKey` relayed for the session resumed here at `epoch`. */
  deliverRelayed(sessionKey: string, epoch: number, copy: RelayedCopy): void {
    const session = this.sessions.get(sessionKey);
    if (session?.movedInEpoch !== epoch || this.expired(copy.message)) return;
    session.deliver(copy.message, copy.subscriptionIds);
  }

  /** The new owner of a session relayed from here answered: the relay ends once its routes show. */
  relayAnswered(sessionKey: string, epoch: number): void {
    this.relays.answered(sessionKey, epoch);
  }

  private endRelay(sessionKey: string): void {
    const relay = this.relays.remove(sessionKey);
    if (relay !== undefined) for (const sub of relay.subscriptions) this.removeRoute(sessionKey, sub);
  }

  /**
   * Sessions of a dead node this node now owns (decision 0029), taken by `take`: restored from the
   * shared store as after a restart, disconnected, their expiry and pending wills armed. Resolves
   * with how many were taken.
   */
  async adoptSessions(
    take: () => Promise<readonly AdoptedSession[]>,
    afterRestore?: () => Promise<void>,
  ): Promise<number> {
    // Counted as in progress before the sessions are taken: a CONNECT here that claims one of
    // them meanwhile finds it this node's already and must attach to the restored session.
    let count = 0;
    const adoption = take()
      .then((adopted) => {
        count = adopted.length;
        return this.restoreAdopted(adopted);
      })
      .then(afterRestore);
    // A takeover of an adopted session waits until what the dead node left has reached it.
    const pending = adoption.catch(() => undefined);
    this.adoptions.add(pending);
    try {
      await adoption;
    } finally {
      this.adoptions.delete(pending);
    }
    return count;
  }

  private async restoreAdopted(adopted: readonly AdoptedSession[]): Promise<void> {
    if (this.stores === undefined || adopted.length === 0) return;
    const loaded = await this.stores.sessions.load(adopted.map((row) => row.sessionKey));
    await restoreSessions(
      this,
      loaded.filter((item) => !this.sessions.has(item.session.clientId)),
      this.filterSeal,
    );
    for (const { sessionKey, epoch, will } of adopted) {
      const session = this.sessions.get(sessionKey);
      if (session !== undefined) {
        if (session.ownerEpoch === undefined) session.ownerEpoch = epoch;
        continue;
      }
      // A session that ended with its connection, lost with its node without DISCONNECT: its will
      // goes out now [MQTT-3.1.2-8] (the session ended, so no delay applies [MQTT-3.1.3-9]).
      if (will !== undefined) this.publish(will);
      this.cluster?.release(sessionKey, epoch);
    }
  }

  /** In a cluster: the will of `link`'s connection is kept in the session row (see Session.connectedWill). */
  keepWill(session: Session, link: SessionLink, will: WillSpec | undefined): void {
    if (this.cluster !== undefined && will !== undefined) this.wills.keepWhileConnected(session, link, will);
  }

  /** In a cluster, resolves once this node's new routes reach the other nodes; else undefined. */
  routesSettled(): Promise<void> | undefined {
    return this.cluster?.routesSettled();
  }

  /**
   * Another node of the cluster took the session over: its connection here is closed with 0x8E
   * [MQTT-3.1.4-3], its will follows the takeover rules (published now only without a delay
   * [MQTT-3.1.3-9]), and its state is made durable for the new owner, then forgotten here (not
   * ended: the session lives on, on the other node). With `olderThan`, only a session this node
   * claimed before that epoch goes.
   */
  async evict(sessionKey: string, olderThan?: number, movedTo?: string, flush = true): Promise<void> {
    if (this.adoptions.size > 0) await Promise.all(this.adoptions);
    const session = this.sessions.get(sessionKey);
    if (session === undefined) {
      if (movedTo === undefined || olderThan === undefined) return;
      this.relays.claimedAgain(sessionKey, movedTo, olderThan);
      // An eviction for an earlier claim may still be writing the state the new owner will load.
      if (flush) await this.flushStores();
      return;
    }
    // A session this node claimed after `olderThan` is the newer one: it stays.
    if (olderThan !== undefined && session.ownerEpoch !== undefined && session.ownerEpoch >= olderThan)
      return;
    // The state as it is now goes to the store first; from then on this copy writes nothing.
    session.disconnectedAt = this.clock.now();
    session.connectedWill = undefined; // its connection's will follows the takeover rules here
    this.wills.cancel(session); // the new connection opened before any will delay ran out
    session.expiryTimer?.cancel();
    session.expiryTimer = undefined;
    session.saveState();
    session.detach();
    const previous = session.link;
    if (previous !== undefined) {
      session.link = undefined;
      this.metrics.sessionTakeovers++;
      previous.takeOver();
    }
    const routes = [...session.subscriptions.values()].map(clusterRoute);
    const relayed =
      movedTo !== undefined &&
      olderThan !== undefined &&
      this.relays.start(session, movedTo, olderThan, routes);
    if (!relayed) for (const sub of session.subscriptions.values()) this.removeRoute(session.clientId, sub);
    this.forget(session);
    if (flush) await this.flushStores();
  }

  /**
   * This node lost its place in the cluster (cut off from the database: another node may adopt its
   * sessions): every connection is closed and every session dropped here without being ended.
   */
  async fence(): Promise<void> {
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    await Promise.all([...this.sessions.keys()].map((key) => this.evict(key, undefined, undefined, false)));
  }

  /**
   * A connection ended. `will` is set when the will must be published (no normal DISCONNECT
   * [MQTT-3.1.2-8]); the session then expires per its interval [MQTT-3.1.2-23].
   */
  connectionLost(session: Session, link: SessionLink, will: WillSpec | undefined): void {
    const takenOver = session.link !== link;
    if (!takenOver) {
      session.link = undefined;
      session.connectedWill = undefined; // decided now, as `will` says
      session.disconnectedAt = this.clock.now();
    }
    if (will !== undefined) this.wills.schedule(session, will);
    if (takenOver) return;
    if (session.expiryInterval === 0 || this.closing) {
      if (session.expiryInterval === 0) this.endSession(session);
      else session.saveState();
      return;
    }
    session.saveState();
    this.armExpiry(session, session.expiryInterval * 1000);
  }

  /** Schedules the end of a disconnected session. 0xFFFFFFFF never expires [MQTT-3.1.2-11 v5]. */
  armExpiry(session: Session, ms: number): void {
    if (session.expiryInterval === 0xffffffff) return;
    session.expiryTimer = this.clock.schedule(ms, () => {
      if (session.link === undefined && this.sessions.get(session.clientId) === session)
        this.endSession(session);
    });
  }

  /**
   * Ends a session: publishes a pending will, drops subscriptions and stored state. In a cluster the
   * key is released unless `release` is false (a new session of the same key starts here).
   */
  endSession(session: Session, release = true): void {
    session.expiryTimer?.cancel();
    const will = session.will;
    this.wills.cancel(session);
    if (will !== undefined) this.publish(will.message);
    for (const sub of session.subscriptions.values()) this.removeRoute(session.clientId, sub);
    session.subscriptions.clear();
    if (this.forget(session) && release) this.cluster?.release(session.clientId, session.ownerEpoch);
    session.setExpiryInterval(0);
  }

  /** Drops `session` from the map and its credential's count; false when it was no longer there. */
  private forget(session: Session): boolean {
    if (this.sessions.get(session.clientId) !== session) return false;
    this.sessions.delete(session.clientId);
    this.sessionQuota.move(session.quotaKey, undefined);
    session.quotaKey = undefined;
    return true;
  }

  /** Stores the retained part of a publication; false when the retained quota is full. */
  retain(message: BrokerMessage): boolean {
    return this.retained.set(message);
  }

  /** Routes a message to every matching session. Returns how many sessions it was given to. */
  publish(message: BrokerMessage): number {
    if (message.retain && !this.retain(message))
      this.logger.warn({ topic: redactTopic(message.topic) }, 'retained quota full');
    return this.route(message);
  }

  /**
   * Routes without touching retained state (the caller handled it): to the sessions here and, in a
   * cluster, one copy to each other node with a matching route. Returns sessions + nodes reached.
   */
  route(message: BrokerMessage): number {
    if (this.expired(message)) return 0;
    if (this.cluster === undefined) {
      return this.deliverAll(message, this.router.route(message.topic, message.publisherId, this.isOnline));
    }
    const forwarded = this.cluster.forward(message, this.hasLocalGroup);
    const deliveries = this.router.route(
      message.topic,
      message.publisherId,
      this.isOnline,
      forwarded.elsewhere,
    );
    return this.deliverAll(message, deliveries) + forwarded.nodes;
  }

  /**
   * A message another node of the cluster forwarded: delivered to this node's sessions only, its
   * non-shared subscribers when `direct` and one member of each of `groups`. With `directOnlyTo`
   * (a dead node's inbox read by its adopter), only those sessions among the non-shared
   * subscribers: the others here got their own copy.
   */
  routeForwarded(
    message: BrokerMessage,
    direct: boolean,
    groups: readonly ClusterRoute[] | undefined,
    directOnlyTo?: ReadonlySet<string>,
  ): number {
    if (this.expired(message)) return 0;
    const deliveries = this.router.routeForwarded(
      message.topic,
      message.publisherId,
      this.isOnline,
      direct,
      groups,
      directOnlyTo,
    );
    return this.deliverAll(message, deliveries);
  }

  /** True (and counted) when the message's expiry interval has run out: it is delivered nowhere. */
  private expired(message: BrokerMessage): boolean {
    if (message.expiresAt === undefined || message.expiresAt > this.clock.now()) return false;
    this.metrics.droppedExpired++;
    return true;
  }

  private readonly hasLocalGroup = (share: string, filter: string): boolean =>
    this.router.hasGroup(share, filter);

  private deliverAll(message: BrokerMessage, deliveries: readonly Delivery[]): number {
    let delivered = 0;
    for (const d of deliveries) {
      const session = this.sessions.get(d.clientId);
      if (session === undefined) {
        if (this.relayed(message, d)) delivered++;
        continue;
      }
      if (this.authorizer.canReceive?.(session.identity, message.topic) === false) continue;
      session.deliver(copyFor(message, d), d.subscriptionIds);
      delivered++;
    }
    return delivered;
  }

  /** Relays `message` to the node that took over `d`'s session, while it is relayed (SessionRelays). */
  private relayed(message: BrokerMessage, d: Delivery): boolean {
    const relay = this.relays.get(d.clientId);
    if (relay === undefined || this.cluster === undefined) return false;
    if (this.relays.done(relay)) {
      this.endRelay(d.clientId); // a copy forwarded to that node in this same routing reaches it
      return false;
    }
    if (this.authorizer.canReceive?.(relay.identity, message.topic) === false) return false;
    this.cluster.relay(relay.node, d.clientId, relay.epoch, {
      message: copyFor(message, d),
      subscriptionIds: d.subscriptionIds,
    });
    return true;
  }

  private readonly isOnline = (clientId: string): boolean => this.sessions.get(clientId)?.link !== undefined;

  /** True when a session `sessionKey` is held here (connected or not). */
  holds(sessionKey: string): boolean {
    return this.sessions.has(sessionKey);
  }

  /** True when this broker is one node of a cluster. */
  get clustered(): boolean {
    return this.cluster !== undefined;
  }

  /** In a cluster, true when another node owns the session `sessionKey` now. */
  heldElsewhere(sessionKey: string): Promise<boolean> {
    if (this.cluster === undefined || this.sessions.has(sessionKey)) return Promise.resolve(false);
    return this.cluster.heldElsewhere(sessionKey);
  }

  /**
   * In a cluster, times `message` (QoS 1) to the session `sessionKey` on the node holding it: the
   * PUBACK round trip measured there, or undefined (not held elsewhere, or no answer in time).
   */
  pingElsewhere(sessionKey: string, message: BrokerMessage): Promise<number | undefined> {
    if (this.cluster === undefined || this.sessions.has(sessionKey)) return Promise.resolve(undefined);
    return this.cluster.pingElsewhere(sessionKey, message);
  }

  /** True while the session `sessionKey` has a live connection. */
  isConnected(sessionKey: string): boolean {
    return this.isOnline(sessionKey);
  }

  /**
   * Hands a message straight to one session, whatever it subscribed to: unsolicited downlinks
   * (`downlink/diag`, `downlink/redirect`, `downlink/ota/json`). False when there is no such session.
   */
  deliverTo(sessionKey: string, message: BrokerMessage): boolean {
    const session = this.sessions.get(sessionKey);
    if (session === undefined) return false;
    session.deliver(message, undefined);
    return true;
  }

  /**
   * An unsolicited downlink (spec §3.1): handed to the connected session `sessionKey` unless one of
   * its subscriptions matches the topic (the routed copy reaches it then). In a cluster, a session
   * that is not here is looked for on the other nodes, which apply the same rule.
   */
  deliverUnsolicited(sessionKey: string, message: BrokerMessage, lookElsewhere = true): void {
    const session = this.sessions.get(sessionKey);
    if (session === undefined) {
      if (lookElsewhere) this.cluster?.deliverElsewhere(sessionKey, message);
      return;
    }
    if (session.link === undefined) return;
    for (const sub of session.subscriptions.values())
      if (topicMatches(sub.topicFilter, message.topic)) return;
    session.deliver(message, undefined);
  }

  /** The session's subscriptions (wire filter → subscription), for APIs that answer per subscription. */
  subscriptionsOf(sessionKey: string): ReadonlyMap<string, Subscription> | undefined {
    return this.sessions.get(sessionKey)?.subscriptions;
  }

  /** Adds or replaces a session's subscription. Returns true if it is new [MQTT-3.8.4-3]. */
  subscribe(session: Session, sub: Subscription): boolean {
    const previous = session.subscriptions.get(sub.filter);
    if (previous !== undefined) this.removeRoute(session.clientId, previous);
    session.subscriptions.set(sub.filter, sub);
    this.router.add(session.clientId, sub);
    this.cluster?.routeAdded(clusterRoute(sub));
    return previous === undefined;
  }

  /** Removes a subscription; false if there was none [MQTT-3.10.4-5]. */
  unsubscribe(session: Session, filter: string): boolean {
    const sub = session.subscriptions.get(filter);
    if (sub === undefined) return false;
    session.subscriptions.delete(filter);
    this.removeRoute(session.clientId, sub);
    return true;
  }

  private removeRoute(clientId: string, sub: Subscription): void {
    this.router.remove(clientId, sub);
    this.cluster?.routeRemoved(clusterRoute(sub));
  }

  /**
   * Removes a subscription of the session `sessionKey` on the server's initiative (an API revoking
   * access, e.g. a gateway target moved out of scope); false if there was none.
   */
  unsubscribeKey(sessionKey: string, filter: string): boolean {
    const session = this.sessions.get(sessionKey);
    if (session === undefined || !this.unsubscribe(session, filter)) return false;
    session.saveState();
    return true;
  }

  /** Graceful stop: DISCONNECT 0x8B to v5 clients, close sockets, persist and close stores. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.relays.clear();
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    for (const session of this.sessions.values()) {
      session.expiryTimer?.cancel();
      session.will?.timer?.cancel();
    }
    if (this.stores !== undefined) {
      await this.stores.sessions.flush();
      await this.stores.retained.flush();
      await this.stores.close();
    }
  }

  /**
   * Durability barrier for QoS 1/2 acknowledgements: the stores' writes when persistence is on and,
   * in a cluster, the copies forwarded to other nodes are in their inboxes.
   */
  flushStores(): Promise<void> | undefined {
    const cluster = this.cluster?.flush();
    const stores = this.flushEngineStores();
    if (cluster === undefined || stores === undefined) return cluster ?? stores;
    return Promise.all([stores, cluster]).then(() => undefined);
  }

  /** The stores' barrier alone (readiness: the cluster's parts are checked apart). */
  flushEngineStores(): Promise<void> | undefined {
    if (this.stores === undefined) return undefined;
    return Promise.all([this.stores.sessions.flush(), this.stores.retained.flush()]).then(() => undefined);
  }
}

/** The copy of `message` one delivery gets. */
function copyFor(message: BrokerMessage, d: Delivery): BrokerMessage {
  const qos = Math.min(message.qos, d.qos) as QoS; // [MQTT-3.8.4-8] downgrade to granted QoS
  const retain = d.retainAsPublished && message.retain; // [MQTT-3.3.1-12/13]
  return qos === message.qos && retain === message.retain ? message : { ...message, qos, retain };
}

/** A session of a dead node this node took (ClusterPort adoption), with the will kept for it. */
export interface AdoptedSession {
  readonly sessionKey: string;
  readonly epoch: number;
  readonly will?: BrokerMessage;
}

function clusterRoute(sub: Subscription): ClusterRoute {
  return sub.shareName === undefined
    ? { filter: sub.topicFilter }
    : { filter: sub.topicFilter, share: sub.shareName };
}

/** Resolves on the next turn of the event loop (after the microtasks a CONNECT goes on with). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
