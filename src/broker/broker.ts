import type { Logger } from 'pino';
import type { Limits } from '../config/limits.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { topicMatches } from '../mqtt/topic/match.js';
import { redactTopic } from '../mqtt/topic/redact.js';
import type { ThrottleStats } from '../observability/auth-throttle-collectors.js';
import { ConnectionLog } from '../observability/connection-log.js';
import { DropLog } from '../observability/drop-log.js';
import { EngineMetrics } from '../observability/metrics.js';
import type { Authenticator, Authorizer, ClientIdentity } from './auth.js';
import {
  type ConnectionDescription,
  connectionStats,
  type SessionStats,
  sessionStats,
} from './broker-stats.js';
import {
  type ClusterPort,
  type ClusterRoute,
  clusterRoute,
  type MessageOrigin,
  type RelayedCopy,
} from './cluster-port.js';
import { type AdoptedSession, ClusterSessions } from './cluster-sessions.js';
import type { FilterSeal } from './filter-seal.js';
import type { BrokerMessage } from './message.js';
import { RetainedMessages } from './retained.js';
import { copyFor, type Delivery, Router } from './router.js';
import { Session, type SessionDeps } from './session.js';
import type { SessionLink } from './session-link.js';
import { SessionQuota } from './session-quota.js';
import { restoreSessions } from './session-restore.js';
import type { EngineStores } from './store-ports.js';
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
  private readonly sessionQuota: SessionQuota;
  private readonly connections = new Set<ManagedConnection>();
  private closing = false;
  private readonly dropLog: DropLog;
  /** What every session needs from the broker: one object shared by all of them. */
  private readonly sessionDeps: SessionDeps;
  /** Wills waiting for their delay or the end of their session. */
  readonly wills: WillScheduler;
  /** Claims, adoptions, takeovers and relays of sessions between the nodes of a cluster. */
  private readonly clusterSessions: ClusterSessions;
  /**
   * In a cluster, from `start` until `joinedCluster`: what the restore publishes (wills due at
   * once, wills of sessions that expired while the node was down). Published before the node knows
   * the other nodes' routes, they would reach this node's subscribers only, and it has none yet.
   * At most one will per restored session.
   */
  private heldUntilJoined: BrokerMessage[] | undefined;
  /** The barrier the flushStores calls of this turn share, until it is taken. */
  private turnFlush: Promise<void> | undefined;

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
    this.wills = new WillScheduler({
      clock: this.clock,
      authorizer: this.authorizer,
      logger: this.logger,
      publish: (message) => this.publish(message),
      isLive: (session) => this.sessions.get(session.clientId) === session,
      kept: (session, will) => this.clusterSessions.willKept(session, will),
    });
    this.clusterSessions = new ClusterSessions(cluster, {
      clock: this.clock,
      metrics: this.metrics,
      authorizer: this.authorizer,
      wills: this.wills,
      store: this.stores?.sessions,
      session: (sessionKey) => this.sessions.get(sessionKey),
      closing: () => this.closing,
      restore: (loaded) => restoreSessions(this, loaded, this.filterSeal),
      forget: (session) => this.forget(session),
      removeRoute: (sessionKey, sub) => this.removeRoute(sessionKey, sub),
      publish: (message) => this.publish(message),
      expired: (message) => this.expired(message),
      flushStores: () => this.flushStores(),
    });
  }

  /** Loads persisted retained messages and sessions. */
  async start(): Promise<void> {
    if (this.stores === undefined) return;
    if (this.cluster !== undefined) this.heldUntilJoined = [];
    this.retained.load(await this.stores.retained.loadAll());
    const loaded = await this.clusterSessions.ownSessions(this.stores.sessions);
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
    return connectionStats(this.connections);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Sessions by state, subscriptions and pending messages: one walk of every session. */
  sessionStats(): SessionStats {
    return sessionStats(this.sessions.values(), this.sessions.size);
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Creates a session object registered in the broker (used by CONNECT and by restore). */
  createSession(clientId: string, protocolVersion: 3 | 4 | 5, expiryInterval: number): Session {
    this.clusterSessions.endRelay(clientId); // the session came back here: its new routes replace the relayed ones
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

  /** In a cluster: claims `sessionKey` for a connection (ClusterSessions.acquire); else undefined. */
  acquireSession(sessionKey: string, resume = true): Promise<number> | undefined {
    return this.clusterSessions.acquire(sessionKey, resume);
  }

  /** Resolves once no connection here is still acquiring `sessionKey` (ClusterSessions.settled). */
  settled(sessionKey: string): Promise<void> {
    return this.clusterSessions.settled(sessionKey);
  }

  /** A copy relayed by the previous owner of `sessionKey` (ClusterSessions.deliverRelayed). */
  deliverRelayed(sessionKey: string, epoch: number, copy: RelayedCopy): void {
    this.clusterSessions.deliverRelayed(sessionKey, epoch, copy);
  }

  /** The new owner of a session relayed from here answered (ClusterSessions.relayAnswered). */
  relayAnswered(sessionKey: string, epoch: number): void {
    this.clusterSessions.relayAnswered(sessionKey, epoch);
  }

  /** Takes and restores a dead node's sessions (ClusterSessions.adopt); resolves with their number. */
  adoptSessions(
    take: () => Promise<readonly AdoptedSession[]>,
    afterRestore?: () => Promise<void>,
  ): Promise<number> {
    return this.clusterSessions.adopt(take, afterRestore);
  }

  /** In a cluster: the will of `link`'s connection is kept in the session row (ClusterSessions.keepWill). */
  keepWill(session: Session, link: SessionLink, will: WillSpec | undefined): void {
    this.clusterSessions.keepWill(session, link, will);
  }

  /** In a cluster, resolves once this node's new routes reach the other nodes; else undefined. */
  routesSettled(): Promise<void> | undefined {
    return this.cluster?.routesSettled();
  }

  /** Another node took the session `sessionKey` over: it goes there (ClusterSessions.evict). */
  evict(sessionKey: string, olderThan?: number, movedTo?: string, flush = true): Promise<void> {
    return this.clusterSessions.evict(sessionKey, olderThan, movedTo, flush);
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

  /**
   * The cluster knows the other nodes' routes now: what the restore published goes out, in order
   * (see heldUntilJoined).
   */
  joinedCluster(): void {
    const held = this.heldUntilJoined ?? [];
    this.heldUntilJoined = undefined;
    for (const message of held) this.publish(message);
  }

  /** Routes a message to every matching session. Returns how many sessions it was given to. */
  publish(message: BrokerMessage): number {
    if (this.heldUntilJoined !== undefined) {
      this.heldUntilJoined.push(message);
      return 0;
    }
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
    return this.deliverAll(message, deliveries, forwarded.origin) + forwarded.nodes;
  }

  /**
   * A message another node of the cluster forwarded: delivered to this node's sessions only, its
   * non-shared subscribers when `direct` and one member of each of `groups`. With `directOnlyTo`
   * (a dead node's inbox read by its adopter), only those sessions among the non-shared
   * subscribers: the others here got their own copy. `origin`: the message's name in the cluster.
   */
  routeForwarded(
    message: BrokerMessage,
    direct: boolean,
    groups: readonly ClusterRoute[] | undefined,
    directOnlyTo?: ReadonlySet<string>,
    origin?: MessageOrigin,
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
    return this.deliverAll(message, deliveries, origin);
  }

  /** True (and counted) when the message's expiry interval has run out: it is delivered nowhere. */
  private expired(message: BrokerMessage): boolean {
    if (message.expiresAt === undefined || message.expiresAt > this.clock.now()) return false;
    this.metrics.droppedExpired++;
    return true;
  }

  private readonly hasLocalGroup = (share: string, filter: string): boolean =>
    this.router.hasGroup(share, filter);

  private deliverAll(
    message: BrokerMessage,
    deliveries: readonly Delivery[],
    origin?: MessageOrigin,
  ): number {
    let delivered = 0;
    for (const d of deliveries) {
      const session = this.sessions.get(d.clientId);
      if (session === undefined) {
        if (this.clusterSessions.relay(message, d, origin)) delivered++;
        continue;
      }
      if (this.authorizer.canReceive?.(session.identity, message.topic) === false) continue;
      if (
        session.movedInOrigins !== undefined &&
        d.shared !== true &&
        !this.clusterSessions.takesOnce(session, origin)
      )
        continue;
      session.deliver(copyFor(message, d), d.subscriptionIds);
      delivered++;
    }
    return delivered;
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
    return this.clusterSessions.heldElsewhere(sessionKey);
  }

  /** In a cluster, the PUBACK round trip of `message` to `sessionKey` on another node (ClusterSessions). */
  pingElsewhere(sessionKey: string, message: BrokerMessage): Promise<number | undefined> {
    return this.clusterSessions.pingElsewhere(sessionKey, message);
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
    this.clusterSessions.endRelays();
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
   * Durability barrier for QoS 1/2 acknowledgements: resolves once the stores' writes (when
   * persistence is on) and, in a cluster, the copies forwarded to other nodes issued before the
   * call are in place. The calls of one turn share one barrier, taken once the turn's synchronous
   * work is done (a microtask later): it covers every write of the turn, and a read of many QoS 1
   * PUBLISHes costs one barrier instead of one per message.
   */
  flushStores(): Promise<void> | undefined {
    if (this.stores === undefined && this.cluster === undefined) return undefined;
    this.turnFlush ??= new Promise<void>((resolve, reject) => {
      queueMicrotask(() => {
        this.turnFlush = undefined;
        this.barrier().then(resolve, reject);
      });
    });
    return this.turnFlush;
  }

  /** One barrier of flushStores; async, so that even a synchronous throw becomes its rejection. */
  private async barrier(): Promise<void> {
    const cluster = this.cluster?.flush();
    const stores = this.flushEngineStores();
    await Promise.all([stores, cluster]);
  }

  /** The stores' barrier alone (readiness: the cluster's parts are checked apart). */
  flushEngineStores(): Promise<void> | undefined {
    if (this.stores === undefined) return undefined;
    return Promise.all([this.stores.sessions.flush(), this.stores.retained.flush()]).then(() => undefined);
  }
}

export type { ConnectionDescription, SessionStats } from './broker-stats.js';
export type { AdoptedSession } from './cluster-sessions.js';
