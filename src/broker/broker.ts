import type { Logger } from 'pino';
import type { Limits } from '../config/limits.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { redactTopic } from '../mqtt/topic/redact.js';
import type { ThrottleStats } from '../observability/auth-throttle-collectors.js';
import { ConnectionLog } from '../observability/connection-log.js';
import { DropLog } from '../observability/drop-log.js';
import { EngineMetrics } from '../observability/metrics.js';
import type { Authenticator, Authorizer, ClientIdentity, ConnectionInfo } from './auth.js';
import type { FilterSeal } from './filter-seal.js';
import type { BrokerMessage } from './message.js';
import { RetainedMessages } from './retained.js';
import { Router } from './router.js';
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

  constructor(options: BrokerOptions) {
    this.limits = options.limits;
    this.authenticator = options.authenticator;
    this.authorizer = options.authorizer;
    this.logger = options.logger;
    this.connectionLog = new ConnectionLog(options.logConnections === false ? undefined : this.logger);
    this.stores = options.stores;
    this.filterSeal = options.filterSeal;
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
    this.wills = new WillScheduler({
      clock: this.clock,
      authorizer: this.authorizer,
      logger: this.logger,
      publish: (message) => this.publish(message),
      isLive: (session) => this.sessions.get(session.clientId) === session,
    });
  }

  /** Loads persisted retained messages and sessions. */
  async start(): Promise<void> {
    if (this.stores === undefined) return;
    this.retained.load(await this.stores.retained.loadAll());
    const loaded = await this.stores.sessions.loadAll();
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
      this.endSession(session);
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
    this.claimSession(session);
    session.link = link;
    session.disconnectedAt = null;
    session.setExpiryInterval(request.expiryInterval);
    session.saveState();
    return { session, present };
  }

  /**
   * A connection ended. `will` is set when the will must be published (no normal DISCONNECT
   * [MQTT-3.1.2-8]); the session then expires per its interval [MQTT-3.1.2-23].
   */
  connectionLost(session: Session, link: SessionLink, will: WillSpec | undefined): void {
    const takenOver = session.link !== link;
    if (!takenOver) {
      session.link = undefined;
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

  /** Ends a session: publishes a pending will, drops subscriptions and stored state. */
  endSession(session: Session): void {
    session.expiryTimer?.cancel();
    const will = session.will;
    this.wills.cancel(session);
    if (will !== undefined) this.publish(will.message);
    for (const sub of session.subscriptions.values()) this.router.remove(session.clientId, sub);
    session.subscriptions.clear();
    if (this.sessions.get(session.clientId) === session) {
      this.sessions.delete(session.clientId);
      this.sessionQuota.move(session.quotaKey, undefined);
      session.quotaKey = undefined;
    }
    session.setExpiryInterval(0);
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

  /** Routes without touching retained state (the caller handled it). */
  route(message: BrokerMessage): number {
    const now = this.clock.now();
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      this.metrics.droppedExpired++;
      return 0;
    }
    const deliveries = this.router.route(message.topic, message.publisherId, this.isOnline);
    let delivered = 0;
    for (const d of deliveries) {
      const session = this.sessions.get(d.clientId);
      if (session === undefined) continue;
      if (this.authorizer.canReceive?.(session.identity, message.topic) === false) continue;
      const qos = Math.min(message.qos, d.qos) as QoS; // [MQTT-3.8.4-8] downgrade to granted QoS
      const retain = d.retainAsPublished && message.retain; // [MQTT-3.3.1-12/13]
      const copy = qos === message.qos && retain === message.retain ? message : { ...message, qos, retain };
      session.deliver(copy, d.subscriptionIds);
      delivered++;
    }
    return delivered;
  }

  private readonly isOnline = (clientId: string): boolean => this.sessions.get(clientId)?.link !== undefined;

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

  /** The session's subscriptions (wire filter → subscription), for APIs that answer per subscription. */
  subscriptionsOf(sessionKey: string): ReadonlyMap<string, Subscription> | undefined {
    return this.sessions.get(sessionKey)?.subscriptions;
  }

  /** Adds or replaces a session's subscription. Returns true if it is new [MQTT-3.8.4-3]. */
  subscribe(session: Session, sub: Subscription): boolean {
    const previous = session.subscriptions.get(sub.filter);
    if (previous !== undefined) this.router.remove(session.clientId, previous);
    session.subscriptions.set(sub.filter, sub);
    this.router.add(session.clientId, sub);
    return previous === undefined;
  }

  /** Removes a subscription; false if there was none [MQTT-3.10.4-5]. */
  unsubscribe(session: Session, filter: string): boolean {
    const sub = session.subscriptions.get(filter);
    if (sub === undefined) return false;
    session.subscriptions.delete(filter);
    this.router.remove(session.clientId, sub);
    return true;
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

  /** Durability barrier for QoS 1/2 acknowledgements when persistence is on. */
  flushStores(): Promise<void> | undefined {
    if (this.stores === undefined) return undefined;
    return Promise.all([this.stores.sessions.flush(), this.stores.retained.flush()]).then(() => undefined);
  }
}
