import type { ClientIdentity } from './auth.js';
import type { ClusterRoute } from './cluster-port.js';
import type { Session } from './session.js';
import type { Subscription } from './subscription.js';

/** Sessions relayed at once, at most: beyond, a takeover drops its routes at once as before. */
const MAX_RELAYS = 10_000;
/** A relay ends after this long even if the new owner never answered or its routes never showed. */
const MAX_RELAY_MS = 5_000;
/** How often an answered relay looks again for the new owner's routes. */
const ROUTES_POLL_MS = 20;
/**
 * How long a relay goes on once the new owner's routes are seen here: other nodes see them a
 * little later, and what they sent here before they did is still arriving. The new owner takes
 * each message once however many copies reach it (RecentOrigins).
 */
export const RELAY_GRACE_MS = 1_000;

/** A session released to another node whose routes are kept here until that node's are seen. */
export interface Relay {
  readonly node: string;
  /** The new owner's claim: its copy of the session takes relayed copies only at this epoch. */
  epoch: number;
  readonly identity: ClientIdentity;
  readonly subscriptions: readonly Subscription[];
  readonly routes: readonly ClusterRoute[];
  /** The new owner restored the session and settled its routes (`moved`). */
  answered: boolean;
  /** When the new owner's routes were first seen here, once answered. */
  seenAt: number | undefined;
  timer: NodeJS.Timeout;
}

/**
 * The old owner's side of a takeover between nodes. Between dropping a session and the new
 * owner's routes reaching the publishers' nodes, messages for it would match nowhere; so the old
 * owner keeps the session's routes and relays what they match to the new owner, until it has
 * answered and its routes have been seen here for a grace period, which covers the other nodes'
 * replication lag and their copies still on the way here. Meanwhile a message may reach the new
 * owner twice (forwarded and relayed): both copies carry its name, and the session takes one.
 */
export class SessionRelays {
  readonly #relays = new Map<string, Relay>();

  /** `end` is called for a relay whose time ran out or whose new owner's routes are seen. */
  constructor(
    private readonly end: (sessionKey: string) => void,
    private readonly routesReached: (node: string, routes: readonly ClusterRoute[]) => boolean,
  ) {}

  /**
   * Starts relaying `session` (taken over by `node` at `epoch`); false when there is nothing to
   * relay (no subscriptions, or a session that ends with its connection) or too many relays.
   */
  start(session: Session, node: string, epoch: number, routes: readonly ClusterRoute[]): boolean {
    if (session.expiryInterval === 0 || session.subscriptions.size === 0) return false;
    if (this.#relays.size >= MAX_RELAYS || this.#relays.has(session.clientId)) return false;
    const sessionKey = session.clientId;
    const timer = setTimeout(() => this.end(sessionKey), MAX_RELAY_MS);
    timer.unref();
    this.#relays.set(sessionKey, {
      node,
      epoch,
      identity: session.identity,
      subscriptions: [...session.subscriptions.values()],
      routes,
      answered: false,
      seenAt: undefined,
      timer,
    });
    return true;
  }

  /**
   * `node` claimed `sessionKey` again at `epoch` (its first claim gave up waiting for this node's
   * answer, which came late): the relay goes on for the newer claim.
   */
  claimedAgain(sessionKey: string, node: string, epoch: number): void {
    const relay = this.#relays.get(sessionKey);
    if (relay === undefined || relay.node !== node || epoch <= relay.epoch) return;
    relay.epoch = epoch;
    relay.answered = false;
    relay.seenAt = undefined;
  }

  /** The relay of `sessionKey` still going on, if any. */
  get(sessionKey: string): Relay | undefined {
    return this.#relays.get(sessionKey);
  }

  /**
   * True when the relay must stop: its new owner answered and its routes have been seen here for
   * RELAY_GRACE_MS.
   */
  done(relay: Relay): boolean {
    if (!relay.answered || !this.routesReached(relay.node, relay.routes)) return false;
    const now = Date.now();
    relay.seenAt ??= now;
    return now - relay.seenAt >= RELAY_GRACE_MS;
  }

  /** The new owner answered for `epoch`: ends now if its routes are seen, else looks again shortly. */
  answered(sessionKey: string, epoch: number): void {
    const relay = this.#relays.get(sessionKey);
    if (relay === undefined || relay.epoch !== epoch) return;
    relay.answered = true;
    this.#endWhenSeen(sessionKey, relay);
  }

  /** Forgets the relay of `sessionKey`: returns it so its routes are dropped. */
  remove(sessionKey: string): Relay | undefined {
    const relay = this.#relays.get(sessionKey);
    if (relay === undefined) return undefined;
    clearTimeout(relay.timer);
    this.#relays.delete(sessionKey);
    return relay;
  }

  /** Ends every relay (closing). */
  clear(): void {
    for (const key of [...this.#relays.keys()]) this.end(key);
  }

  #endWhenSeen(sessionKey: string, relay: Relay): void {
    if (this.#relays.get(sessionKey) !== relay) return;
    if (this.done(relay)) {
      this.end(sessionKey);
      return;
    }
    clearTimeout(relay.timer);
    const deadline = Date.now() + MAX_RELAY_MS;
    const poll = (): void => {
      if (this.#relays.get(sessionKey) !== relay) return;
      if (this.done(relay) || Date.now() >= deadline) this.end(sessionKey);
      else relay.timer = setTimeout(poll, ROUTES_POLL_MS).unref();
    };
    relay.timer = setTimeout(poll, ROUTES_POLL_MS).unref();
  }
}
