import type { Clock } from '../lib/clock.js';
import type { EngineMetrics } from '../observability/metrics.js';
import type { Authorizer } from './auth.js';
import { type ClusterPort, clusterRoute, type MessageOrigin, type RelayedCopy } from './cluster-port.js';
import type { BrokerMessage } from './message.js';
import { MOVED_IN_MEMORY_MS, RecentOrigins } from './recent-origins.js';
import { copyFor, type Delivery } from './router.js';
import type { Session } from './session.js';
import type { SessionLink } from './session-link.js';
import { SessionRelays } from './session-relays.js';
import type { LoadedSession, SessionStore } from './store-ports.js';
import type { Subscription } from './subscription.js';
import type { WillSpec } from './will.js';
import type { WillScheduler } from './will-scheduler.js';

/** A session of a dead node this node took (ClusterPort adoption), with the will kept for it. */
export interface AdoptedSession {
  readonly sessionKey: string;
  readonly epoch: number;
  readonly will?: BrokerMessage;
}

/** What ClusterSessions needs from the broker that holds the sessions. */
export interface SessionHost {
  readonly clock: Clock;
  readonly metrics: EngineMetrics;
  readonly authorizer: Authorizer;
  readonly wills: WillScheduler;
  /** Absent: sessions live in memory only (nothing to load from another node). */
  readonly store: SessionStore | undefined;
  /** The session held here under `sessionKey`, connected or not. */
  session(sessionKey: string): Session | undefined;
  /** True once the broker is closing. */
  closing(): boolean;
  /** Registers loaded sessions as after a restart (restoreSessions). */
  restore(loaded: readonly LoadedSession[]): Promise<unknown>;
  /** Drops `session` from the broker without ending it; false when it was no longer there. */
  forget(session: Session): boolean;
  removeRoute(sessionKey: string, sub: Subscription): void;
  publish(message: BrokerMessage): number;
  /** True (and counted) when the message's expiry interval has run out. */
  expired(message: BrokerMessage): boolean;
  /** The broker's durability barrier (stores and forwarded copies). */
  flushStores(): Promise<void> | undefined;
}

/**
 * The broker's sessions as one node of a cluster sees them (decision 0029): claiming a session
 * before a connection attaches and loading what its previous node left, adopting a dead node's
 * sessions, handing a session to the node that took it over and relaying its messages there
 * meanwhile (SessionRelays). With no cluster, nothing is claimed, relayed or kept elsewhere.
 */
export class ClusterSessions {
  readonly #cluster: ClusterPort | undefined;
  readonly #host: SessionHost;
  /** Cluster claims in progress by session key, each settled one turn after its CONNECT went on. */
  readonly #acquiring = new Map<string, Promise<void>>();
  /** Adoptions of a dead node's sessions in progress (adopt); evictions wait for them. */
  readonly #adoptions = new Set<Promise<void>>();
  /** Sessions taken over by another node whose messages are relayed there for a while. */
  readonly #relays: SessionRelays;

  constructor(cluster: ClusterPort | undefined, host: SessionHost) {
    this.#cluster = cluster;
    this.#host = host;
    this.#relays = new SessionRelays(
      (sessionKey) => this.endRelay(sessionKey),
      (node, routes) => cluster?.routesReached(node, routes) ?? true,
    );
  }

  /** Every stored session alone; in a cluster, the ones this node owned when it stopped. */
  async ownSessions(store: SessionStore): Promise<LoadedSession[]> {
    if (this.#cluster === undefined) return store.loadAll();
    const owned = await this.#cluster.ownedSessions();
    return owned.length === 0 ? [] : store.load(owned);
  }

  /**
   * Before a connection attaches to `sessionKey`: in a cluster, makes this node the session's owner
   * (a connection to it on another node is closed with 0x8E [MQTT-3.1.4-3]) and loads the state
   * that node left in the shared store. Rejects when ownership cannot be decided.
   */
  acquire(sessionKey: string, resume: boolean): Promise<number> | undefined {
    const cluster = this.#cluster;
    if (cluster === undefined) return undefined;
    const acquired = this.#claimAndLoad(cluster, sessionKey, resume);
    const settled = acquired.then(nextTurn, nextTurn);
    this.#acquiring.set(sessionKey, settled);
    void settled.then(() => {
      if (this.#acquiring.get(sessionKey) === settled) this.#acquiring.delete(sessionKey);
    });
    return acquired;
  }

  /**
   * Resolves once no connection here is still acquiring `sessionKey` (its CONNECT has attached
   * or failed), so a takeover from another node sees the session that connection opened.
   */
  async settled(sessionKey: string): Promise<void> {
    for (let pending = this.#acquiring.get(sessionKey); pending !== undefined; ) {
      await pending;
      pending = this.#acquiring.get(sessionKey);
    }
  }

  /** Resolves with the epoch this node holds the session at. */
  async #claimAndLoad(cluster: ClusterPort, sessionKey: string, resume: boolean): Promise<number> {
    const host = this.#host;
    const claim = await cluster.claim(sessionKey, resume);
    // This node may be adopting the session from a dead node: it attaches to the adopted one.
    if (this.#adoptions.size > 0) await Promise.all(this.#adoptions);
    if (!claim.moved || host.store === undefined || host.session(sessionKey) !== undefined)
      return claim.epoch;
    const loaded = await host.store.load([sessionKey]);
    // A connection here got there first: its session stands.
    if (host.session(sessionKey) === undefined && !host.closing()) {
      await host.restore(loaded);
      this.#movedIn(cluster, sessionKey, claim.epoch);
    }
    return claim.epoch;
  }

  /**
   * The session moved here from another node at `epoch` and is restored: it takes the copies that
   * node relayed meanwhile (and only this copy of it does: a clean start replaces it).
   */
  #movedIn(cluster: ClusterPort, sessionKey: string, epoch: number): void {
    const held = cluster.movedIn(sessionKey, epoch);
    const session = this.#host.session(sessionKey);
    if (session === undefined) return;
    session.movedInEpoch = epoch;
    session.movedInOrigins = new RecentOrigins(this.#host.clock.now() + MOVED_IN_MEMORY_MS);
    for (const copy of held)
      if (this.takesOnce(session, copy.origin)) session.deliver(copy.message, copy.subscriptionIds);
  }

  /** A copy the previous owner of `sessionKey` relayed for the session resumed here at `epoch`. */
  deliverRelayed(sessionKey: string, epoch: number, copy: RelayedCopy): void {
    const session = this.#host.session(sessionKey);
    if (session?.movedInEpoch !== epoch || this.#host.expired(copy.message)) return;
    if (this.takesOnce(session, copy.origin)) session.deliver(copy.message, copy.subscriptionIds);
  }

  /**
   * False for a second copy of the message `origin` names to a session that moved here a moment
   * ago (one forwarded here, one relayed by its previous node); true otherwise.
   */
  takesOnce(session: Session, origin: MessageOrigin | undefined): boolean {
    const recent = session.movedInOrigins;
    if (recent === undefined || origin === undefined) return true;
    if (this.#host.clock.now() > recent.until) {
      session.movedInOrigins = undefined;
      return true;
    }
    if (recent.firstTime(origin)) return true;
    this.#host.metrics.droppedDuplicateCopies++;
    return false;
  }

  /** The new owner of a session relayed from here answered: the relay ends once its routes show. */
  relayAnswered(sessionKey: string, epoch: number): void {
    this.#relays.answered(sessionKey, epoch);
  }

  /** Stops relaying `sessionKey` and drops the routes kept for it. */
  endRelay(sessionKey: string): void {
    const relay = this.#relays.remove(sessionKey);
    if (relay !== undefined) for (const sub of relay.subscriptions) this.#host.removeRoute(sessionKey, sub);
  }

  /** Ends every relay (closing). */
  endRelays(): void {
    this.#relays.clear();
  }

  /**
   * Relays `message` to the node that took over `d`'s session (not held here), while it is relayed
   * (SessionRelays); false when it is not.
   */
  relay(message: BrokerMessage, d: Delivery, origin: MessageOrigin | undefined): boolean {
    const relay = this.#relays.get(d.clientId);
    if (relay === undefined || this.#cluster === undefined) return false;
    if (this.#relays.done(relay)) {
      this.endRelay(d.clientId); // a copy forwarded to that node in this same routing reaches it
      return false;
    }
    if (this.#host.authorizer.canReceive?.(relay.identity, message.topic) === false) return false;
    this.#cluster.relay(relay.node, d.clientId, relay.epoch, {
      message: copyFor(message, d),
      subscriptionIds: d.subscriptionIds,
      // A share group's pick is never sent twice: without the name, the new owner takes it as is.
      origin: d.shared === true ? undefined : origin,
    });
    return true;
  }

  /**
   * Sessions of a dead node this node now owns (decision 0029), taken by `take`: restored from the
   * shared store as after a restart, disconnected, their expiry and pending wills armed. Resolves
   * with how many were taken.
   */
  async adopt(
    take: () => Promise<readonly AdoptedSession[]>,
    afterRestore?: () => Promise<void>,
  ): Promise<number> {
    // Counted as in progress before the sessions are taken: a CONNECT here that claims one of
    // them meanwhile finds it this node's already and must attach to the restored session.
    let count = 0;
    const adoption = take()
      .then((adopted) => {
        count = adopted.length;
        return this.#restoreAdopted(adopted);
      })
      .then(afterRestore);
    // A takeover of an adopted session waits until what the dead node left has reached it.
    const pending = adoption.catch(() => undefined);
    this.#adoptions.add(pending);
    try {
      await adoption;
    } finally {
      this.#adoptions.delete(pending);
    }
    return count;
  }

  async #restoreAdopted(adopted: readonly AdoptedSession[]): Promise<void> {
    const host = this.#host;
    if (host.store === undefined || adopted.length === 0) return;
    // Only what is not held here yet (at start, this node's own sessions are restored already).
    const missing = adopted.filter((row) => host.session(row.sessionKey) === undefined);
    const loaded = missing.length === 0 ? [] : await host.store.load(missing.map((row) => row.sessionKey));
    await host.restore(loaded.filter((item) => host.session(item.session.clientId) === undefined));
    for (const { sessionKey, epoch, will } of adopted) {
      const session = host.session(sessionKey);
      if (session !== undefined) {
        if (session.ownerEpoch === undefined) session.ownerEpoch = epoch;
        continue;
      }
      // A session that ended with its connection, lost with its node without DISCONNECT: its will
      // goes out now [MQTT-3.1.2-8] (the session ended, so no delay applies [MQTT-3.1.3-9]).
      if (will !== undefined) host.publish(will);
      this.#cluster?.release(sessionKey, epoch);
    }
  }

  /** In a cluster: the will of `link`'s connection is kept in the session row (see Session.connectedWill). */
  keepWill(session: Session, link: SessionLink, will: WillSpec | undefined): void {
    if (this.#cluster !== undefined && will !== undefined)
      this.#host.wills.keepWhileConnected(session, link, will);
  }

  /** A will was kept (WillScheduler): where the node adopting this one finds it, if it needs it. */
  willKept(session: Session, will: BrokerMessage): void {
    // A persistent session keeps the will in its row; one that ends with its connection has none.
    if (session.expiryInterval === 0 && session.ownerEpoch !== undefined)
      this.#cluster?.keepWill(session.clientId, session.ownerEpoch, will);
  }

  /** In a cluster, true when another node owns the session `sessionKey` now. */
  heldElsewhere(sessionKey: string): Promise<boolean> {
    if (this.#cluster === undefined || this.#host.session(sessionKey) !== undefined)
      return Promise.resolve(false);
    return this.#cluster.heldElsewhere(sessionKey);
  }

  /**
   * In a cluster, times `message` (QoS 1) to the session `sessionKey` on the node holding it: the
   * PUBACK round trip measured there, or undefined (not held elsewhere, or no answer in time).
   */
  pingElsewhere(sessionKey: string, message: BrokerMessage): Promise<number | undefined> {
    if (this.#cluster === undefined || this.#host.session(sessionKey) !== undefined)
      return Promise.resolve(undefined);
    return this.#cluster.pingElsewhere(sessionKey, message);
  }

  /**
   * Another node of the cluster took the session over: its connection here is closed with 0x8E
   * [MQTT-3.1.4-3], its will follows the takeover rules (published now only without a delay
   * [MQTT-3.1.3-9]), and its state is made durable for the new owner, then forgotten here (not
   * ended: the session lives on, on the other node). With `olderThan`, only a session this node
   * claimed before that epoch goes.
   */
  async evict(sessionKey: string, olderThan?: number, movedTo?: string, flush = true): Promise<void> {
    const host = this.#host;
    if (this.#adoptions.size > 0) await Promise.all(this.#adoptions);
    const session = host.session(sessionKey);
    if (session === undefined) {
      if (movedTo === undefined || olderThan === undefined) return;
      this.#relays.claimedAgain(sessionKey, movedTo, olderThan);
      // An eviction for an earlier claim may still be writing the state the new owner will load.
      if (flush) await host.flushStores();
      return;
    }
    // A session this node claimed after `olderThan` is the newer one: it stays.
    if (olderThan !== undefined && session.ownerEpoch !== undefined && session.ownerEpoch >= olderThan)
      return;
    // The state as it is now goes to the store first; from then on this copy writes nothing.
    session.disconnectedAt = host.clock.now();
    session.connectedWill = undefined; // its connection's will follows the takeover rules here
    host.wills.cancel(session); // the new connection opened before any will delay ran out
    session.expiryTimer?.cancel();
    session.expiryTimer = undefined;
    session.saveState();
    session.detach();
    const previous = session.link;
    if (previous !== undefined) {
      session.link = undefined;
      host.metrics.sessionTakeovers++;
      previous.takeOver();
    }
    const routes = [...session.subscriptions.values()].map(clusterRoute);
    const relayed =
      movedTo !== undefined &&
      olderThan !== undefined &&
      this.#relays.start(session, movedTo, olderThan, routes);
    if (!relayed) for (const sub of session.subscriptions.values()) host.removeRoute(session.clientId, sub);
    host.forget(session);
    if (flush) await host.flushStores();
  }
}

/** Resolves on the next turn of the event loop (after the microtasks a CONNECT goes on with). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
