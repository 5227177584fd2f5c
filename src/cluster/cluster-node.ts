import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.js';
import type {
  ClusterPort,
  ClusterRoute,
  ForwardOutcome,
  RelayedCopy,
  SessionClaim,
} from '../broker/cluster-port.js';
import type { BrokerMessage } from '../broker/message.js';
import { encodeMessage } from './envelope-codec.js';
import { SessionsMovingIn } from './sessions-moving-in.js';
import { ShareGroupPicker } from './share-group-picker.js';
import type { ClusterEnvelope, InboxEntry, NodeId, Route } from './types.js';

/** This node's inbox on the bus between nodes (Redis Streams). */
export interface InboxPart {
  send(to: NodeId, envelope: ClusterEnvelope): void;
  flush(): Promise<void>;
}

/** Other nodes' routes, matched for every message published here. */
export interface RemoteRoutesPart {
  match(topic: string): {
    readonly direct: readonly NodeId[];
    readonly groups: readonly { readonly route: Route; readonly nodes: readonly NodeId[] }[];
  };
  /** True when `route` is among `node`'s routes as replicated here. */
  holds(node: NodeId, route: Route): boolean;
}

/** This node's routes, counted; changes reach the other nodes through the replica. */
export interface LocalRoutesPart {
  add(route: Route): void;
  remove(route: Route): void;
}

/** Who owns which session (PostgreSQL, compare-and-set on an epoch). */
export interface OwnershipPart {
  /**
   * Takes the session at a new epoch; with `takeFromDead` false, a session held by a node whose
   * heartbeat expired is left for that node's adopter and its owner named instead.
   */
  claim(
    sessionKey: string,
    takeFromDead: boolean,
  ): Promise<{ epoch: number; previousNode: NodeId | undefined } | { deadOwner: NodeId }>;
  release(sessionKey: string, epoch: number): void;
  ownersOf(keys: readonly string[]): Promise<Map<string, { node: NodeId; epoch: number }>>;
  /** At start: the keys this node's previous run left it, taken up (a survivor adopting that run leaves them). */
  takeUp(): Promise<string[]>;
  /** Undoes a claim at `epoch`: the session goes back to `previousNode` (see ClusterNode.claim). */
  handBack(sessionKey: string, epoch: number, previousNode: NodeId): Promise<void>;
  /** Keeps the encoded will of the connected session held here at `epoch`, for an adopter. */
  keepWill(sessionKey: string, epoch: number, will: Buffer): void;
}

export interface ClusterNodeOptions {
  readonly nodeId: NodeId;
  readonly inbox: InboxPart;
  readonly localRoutes: LocalRoutesPart;
  readonly remoteRoutes: RemoteRoutesPart;
  readonly ownership: OwnershipPart;
  /** True while `node` is a live member of the cluster (PostgreSQL heartbeats). */
  readonly isLive: (node: NodeId) => Promise<boolean>;
  /** The other live nodes (for what every node must see: retained messages). */
  readonly otherNodes: () => readonly NodeId[];
  /** Resolves once this node's route changes so far are written where the other nodes read them. */
  readonly routesSettled: () => Promise<void>;
  readonly logger: Logger;
  /** How long a takeover waits for the previous owner to release the session (default 1 s: a live node answers in milliseconds; a node that died is declared dead only later). */
  readonly releaseTimeoutMs?: number;
  /** How long the node holding a pinged session waits for its PUBACK (the asker waits a little longer). */
  readonly pingTimeoutMs?: number;
  /**
   * How long a session whose owner died is refused, waiting for the survivor adopting it; after
   * that it is taken directly (what the dead node's inbox held for it is then lost).
   */
  readonly adoptionWaitMs?: number;
}

/** Sessions refused while their dead owner is adopted, remembered at most this many at once. */
const MAX_WAITING = 10_000;

/** A CONNECT for a session of a node that died or does not answer: it waits for the adopter. */
export class SessionBeingAdoptedError extends Error {
  constructor(sessionKey: string, owner: NodeId) {
    super(`session ${sessionKey} belongs to ${owner}, which does not answer: wait for its adoption`);
    this.name = 'SessionBeingAdoptedError';
  }
}

/** Pings this node waits answers for, and answers it is timing, at once: beyond, undefined at once. */
const MAX_PINGS = 10_000;
/** What the asker of a ping adds to the answering node's wait: the way there and back. */
const PING_TRANSIT_MS = 2_000;

const NOTHING_FORWARDED: ForwardOutcome = { nodes: 0, elsewhere: undefined, origin: undefined };

/** How long a SUBACK waits for its route to reach Redis before going out anyway. */
const ROUTES_WAIT_MS = 1000;

/** Where one message goes on one other node. */
interface Destination {
  direct: boolean;
  groups: Route[] | undefined;
}

/**
 * The broker's view of the cluster (decision 0029): forwards messages to the nodes whose routes
 * match, one copy per node; picks the node of share groups spread over several nodes; claims
 * sessions in PostgreSQL and asks their previous node to let go; applies what other nodes send.
 */
export class ClusterNode implements ClusterPort {
  readonly nodeId: NodeId;
  /** Counters for `/metrics`: copies forwarded, takeovers in (asked of another node) and out. */
  readonly counts = { forwarded: 0, takeoversIn: 0, takeoversOut: 0 };
  #broker: Broker | undefined;
  readonly #options: ClusterNodeOptions;
  readonly #picker = new ShareGroupPicker();
  /** Takeovers waiting for the previous owner's `released`, by key and epoch. */
  readonly #releaseWaiters = new Map<string, () => void>();
  /** Pings sent to other nodes waiting for their `pong`, by id, with the node asked. */
  readonly #pingWaiters = new Map<number, { node: NodeId; done: (rttMs: number | undefined) => void }>();
  /** Starts anywhere: a pong meant for this node's previous life does not match a new ping. */
  #lastPingId = Math.floor(Math.random() * 2 ** 40);
  /** Names the messages this node forwards (MessageOrigin); random start: a restart does not reuse names. */
  #forwardSeq = Math.floor(Math.random() * 2 ** 40);
  #pingsAnswering = 0;
  /** Sessions refused while their owner is adopted: when first refused (see claim). */
  readonly #waitingSince = new Map<string, number>();
  /** Sessions released to this node and not yet restored here, with the copies relayed for them. */
  readonly #movingIn = new SessionsMovingIn();

  constructor(options: ClusterNodeOptions) {
    this.nodeId = options.nodeId;
    this.#options = options;
  }

  /** Copies relayed for sessions being taken over to this node, dropped over the bound (for `/metrics`). */
  get droppedRelayedCopies(): number {
    return this.#movingIn.dropped;
  }

  /** The broker this node serves (made after this object, which it takes as its port). */
  attach(broker: Broker): void {
    this.#broker = broker;
  }

  routeAdded(route: ClusterRoute): void {
    this.#options.localRoutes.add(route);
  }

  routeRemoved(route: ClusterRoute): void {
    this.#options.localRoutes.remove(route);
  }

  forward(message: BrokerMessage, hasLocalGroup: (share: string, filter: string) => boolean): ForwardOutcome {
    const match = this.#options.remoteRoutes.match(message.topic);
    if (match.direct.length === 0 && match.groups.length === 0) return NOTHING_FORWARDED;
    const destinations = new Map<NodeId, Destination>();
    for (const node of match.direct) destinations.set(node, { direct: true, groups: undefined });
    let elsewhere: Set<string> | undefined;
    for (const { route, nodes } of match.groups) {
      const share = route.share as string;
      const here = hasLocalGroup(share, route.filter);
      const picked = this.#picker.pick(route, nodes, here ? this.nodeId : undefined);
      if (picked === this.nodeId) continue;
      if (here) {
        elsewhere ??= new Set();
        elsewhere.add(groupKey(share, route.filter));
      }
      const destination = destinations.get(picked) ?? { direct: false, groups: undefined };
      destination.groups ??= [];
      destination.groups.push(route);
      destinations.set(picked, destination);
    }
    const forwarded = withoutLocalParts(message);
    this.counts.forwarded += destinations.size;
    const seq = ++this.#forwardSeq;
    for (const [node, { direct, groups }] of destinations) {
      this.#options.inbox.send(
        node,
        groups === undefined
          ? { type: 'publish', message: forwarded, direct, seq }
          : { type: 'publish', message: forwarded, direct, groups, seq },
      );
    }
    const skip = elsewhere;
    return {
      nodes: destinations.size,
      elsewhere: skip === undefined ? undefined : (share, filter) => skip.has(groupKey(share, filter)),
      origin: { node: this.nodeId, seq },
    };
  }

  /** Bounded: with Redis away a SUBACK goes out after ROUTES_WAIT_MS (the route follows later). */
  routesSettled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ROUTES_WAIT_MS);
    });
    const written = this.#options.routesSettled().catch(() => undefined);
    return Promise.race([written, bound]).finally(() => clearTimeout(timer));
  }

  retained(message: BrokerMessage): void {
    const envelope: ClusterEnvelope = { type: 'retained', message: withoutLocalParts(message) };
    for (const node of this.#options.otherNodes()) this.#options.inbox.send(node, envelope);
  }

  deliverElsewhere(sessionKey: string, message: BrokerMessage): void {
    this.#ownerElsewhere(sessionKey).then(
      (node) => {
        if (node === undefined) return;
        this.#options.inbox.send(node, { type: 'deliver', sessionKey, message: withoutLocalParts(message) });
      },
      (err: unknown) =>
        this.#options.logger.warn({ err }, 'cluster: the owner of a session could not be looked up'),
    );
  }

  /** The other node that owns `sessionKey` now (ownership table); undefined when none or this one. */
  async #ownerElsewhere(sessionKey: string): Promise<NodeId | undefined> {
    const owner = (await this.#options.ownership.ownersOf([sessionKey])).get(sessionKey);
    return owner === undefined || owner.node === this.nodeId ? undefined : owner.node;
  }

  /**
   * Makes this node the session's owner. A session of a node already dead by the database clock is
   * not taken, and one whose owner does not answer the kick (it just died) is handed back: the
   * CONNECT is refused (the client comes back later), since the session must go through the
   * survivor adopting that node, which replays what the dead node's inbox still held for it.
   * Bounded by adoptionWaitMs, after which the session is taken as it is in the store; not for a
   * clean start (`resume` false), which discards the old session anyway.
   */
  async claim(sessionKey: string, resume = true): Promise<SessionClaim> {
    const { ownership } = this.#options;
    // A clean start discards the old session [MQTT-3.1.2-4]: nothing of it is waited for.
    const takeAnyway = !resume || this.#waitedLongEnough(sessionKey);
    const claimed = await ownership.claim(sessionKey, takeAnyway);
    if ('deadOwner' in claimed) this.#refuse(sessionKey, claimed.deadOwner);
    const { epoch, previousNode } = claimed;
    if (previousNode === undefined || previousNode === this.nodeId) return { moved: false, epoch };
    this.counts.takeoversIn++;
    const released =
      (await this.#options.isLive(previousNode)) && (await this.#takeFrom(previousNode, sessionKey, epoch));
    if (released || takeAnyway) {
      this.#waitingSince.delete(sessionKey);
      return { moved: true, epoch };
    }
    await ownership.handBack(sessionKey, epoch, previousNode);
    this.#refuse(sessionKey, previousNode);
  }

  /** Whether `sessionKey` has been refused for adoptionWaitMs already. */
  #waitedLongEnough(sessionKey: string): boolean {
    const since = this.#waitingSince.get(sessionKey);
    return since !== undefined && Date.now() - since >= (this.#options.adoptionWaitMs ?? 30_000);
  }

  /** Refuses a CONNECT for the session of a dead or silent `owner`, remembering the first refusal. */
  #refuse(sessionKey: string, owner: NodeId): never {
    if (!this.#waitingSince.has(sessionKey)) {
      if (this.#waitingSince.size >= MAX_WAITING) this.#waitingSince.clear();
      this.#waitingSince.set(sessionKey, Date.now());
    }
    throw new SessionBeingAdoptedError(sessionKey, owner);
  }

  /** Asks `node` to let go of the session; resolves with whether it answered in time. */
  #takeFrom(node: NodeId, sessionKey: string, epoch: number): Promise<boolean> {
    const key = waiterKey(sessionKey, epoch);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), this.#options.releaseTimeoutMs ?? 1000);
      const waiters = this.#releaseWaiters;
      function done(answered = true): void {
        clearTimeout(timer);
        if (waiters.get(key) === done) waiters.delete(key);
        resolve(answered);
      }
      waiters.set(key, done);
      // From its kick on, the old owner may relay copies for the session (even before `released`).
      this.#movingIn.expect(sessionKey, epoch, node);
      this.#options.inbox.send(node, { type: 'kick', sessionKey, epoch, from: this.nodeId });
    });
  }

  release(sessionKey: string, epoch: number | undefined): void {
    // A session restored without its epoch keeps its row: the next claimer asks this node, which
    // answers at once.
    if (epoch !== undefined) this.#options.ownership.release(sessionKey, epoch);
  }

  async heldElsewhere(sessionKey: string): Promise<boolean> {
    return (await this.#ownerElsewhere(sessionKey)) !== undefined;
  }

  async pingElsewhere(sessionKey: string, message: BrokerMessage): Promise<number | undefined> {
    if (this.#pingWaiters.size >= MAX_PINGS) return undefined;
    let node: NodeId | undefined;
    try {
      node = await this.#ownerElsewhere(sessionKey);
    } catch (err) {
      this.#options.logger.warn({ err }, 'cluster: the owner of a session could not be looked up');
      return undefined;
    }
    if (node === undefined) return undefined;
    const id = ++this.#lastPingId;
    const waiters = this.#pingWaiters;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.#pingTimeoutMs + PING_TRANSIT_MS);
      timer.unref(); // a ping in flight never holds a shutdown
      function done(rttMs: number | undefined): void {
        clearTimeout(timer);
        waiters.delete(id);
        resolve(rttMs);
      }
      waiters.set(id, { node, done });
      this.#options.inbox.send(node, {
        type: 'ping',
        sessionKey,
        id,
        from: this.nodeId,
        message: withoutLocalParts(message),
      });
    });
  }

  get #pingTimeoutMs(): number {
    return this.#options.pingTimeoutMs ?? 10_000;
  }

  ownedSessions(): Promise<readonly string[]> {
    return this.#options.ownership.takeUp();
  }

  flush(): Promise<void> {
    return this.#options.inbox.flush();
  }

  /**
   * Applies one batch read from this node's inbox, in order; resolves once its effects are
   * durable, so the read position moves past it only then. `adopted`: the batch comes from the
   * inbox of a dead node whose sessions these are; its messages go to them alone (this node's own
   * subscribers had their own copies), share groups apart (the dead node was picked for them).
   */
  async receive(batch: readonly InboxEntry[], adopted?: ReadonlySet<string>): Promise<void> {
    const broker = this.#broker;
    if (broker === undefined) return;
    for (const { from, envelope } of batch) {
      switch (envelope.type) {
        case 'publish':
          broker.routeForwarded(
            envelope.message,
            envelope.direct,
            envelope.groups,
            adopted,
            envelope.seq === undefined ? undefined : { node: from, seq: envelope.seq },
          );
          break;
        case 'deliver':
          broker.deliverUnsolicited(envelope.sessionKey, envelope.message, false);
          break;
        case 'retained':
          broker.retained.applyFromCluster(envelope.message);
          break;
        case 'kick':
          // Not awaited: a takeover waits for CONNECTs in progress, the inbox must not.
          void this.#letGo(broker, envelope.sessionKey, envelope.epoch, envelope.from);
          break;
        case 'released':
          this.#releaseWaiters.get(waiterKey(envelope.sessionKey, envelope.epoch))?.();
          break;
        case 'relay': {
          const { sessionKey, epoch, message, subscriptionIds, origin } = envelope;
          const copy: RelayedCopy = { message, subscriptionIds, origin };
          if (!this.#movingIn.hold(sessionKey, epoch, copy)) broker.deliverRelayed(sessionKey, epoch, copy);
          break;
        }
        case 'moved':
          broker.relayAnswered(envelope.sessionKey, envelope.epoch);
          break;
        case 'ping':
          this.#answerPing(broker, envelope);
          break;
        case 'pong': {
          // Only from the node asked: a late answer to an earlier incarnation's ping of that id is not it.
          const waiter = this.#pingWaiters.get(envelope.id);
          if (waiter?.node === envelope.from) waiter.done(envelope.rttMs);
          break;
        }
        default:
          this.#options.logger.warn({ from }, 'cluster: unknown envelope ignored');
      }
    }
    await broker.flushStores();
  }

  relay(node: NodeId, sessionKey: string, epoch: number, copy: RelayedCopy): void {
    const message = withoutLocalParts(copy.message);
    const { subscriptionIds, origin } = copy;
    this.#options.inbox.send(node, {
      type: 'relay',
      sessionKey,
      epoch,
      message,
      ...(subscriptionIds === undefined ? {} : { subscriptionIds }),
      ...(origin === undefined ? {} : { origin }),
    });
  }

  keepWill(sessionKey: string, epoch: number, will: BrokerMessage): void {
    this.#options.ownership.keepWill(sessionKey, epoch, encodeMessage(withoutLocalParts(will)));
  }

  routesReached(node: NodeId, routes: readonly ClusterRoute[]): boolean {
    return routes.every((route) => this.#options.remoteRoutes.holds(node, route));
  }

  movedIn(sessionKey: string, epoch: number): readonly RelayedCopy[] {
    const arrived = this.#movingIn.arrived(sessionKey, epoch);
    if (arrived === undefined) return [];
    const answer: ClusterEnvelope = { type: 'moved', sessionKey, epoch, from: this.nodeId };
    this.#options.routesSettled().then(
      () => this.#options.inbox.send(arrived.from, answer),
      (err: unknown) => this.#options.logger.warn({ err }, 'cluster: routes of a moved session not settled'),
    );
    return arrived.held;
  }

  /** Another node's ping of a session here: handed over, its PUBACK timed here, answered `pong`. */
  #answerPing(broker: Broker, ping: Extract<ClusterEnvelope, { type: 'ping' }>): void {
    const { sessionKey, id, from } = ping;
    let answered = false;
    const answer = (rttMs: number | undefined): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      this.#pingsAnswering--;
      const pong: ClusterEnvelope =
        rttMs === undefined
          ? { type: 'pong', id, from: this.nodeId }
          : { type: 'pong', id, rttMs, from: this.nodeId };
      this.#options.inbox.send(from, pong);
    };
    this.#pingsAnswering++;
    const timer = setTimeout(() => answer(undefined), this.#pingTimeoutMs);
    timer.unref();
    if (this.#pingsAnswering > MAX_PINGS || !broker.isConnected(sessionKey)) {
      answer(undefined);
      return;
    }
    // The PUBACK time comes from the engine's clock, so the send time does too.
    const sentAt = broker.clock.now();
    const timed: BrokerMessage = {
      ...ping.message,
      onAcknowledged: (at) => answer(Math.max(0, at - sentAt)),
    };
    if (!broker.deliverTo(sessionKey, timed)) answer(undefined);
  }

  /**
   * Another node claimed `sessionKey` at `epoch`. Unless this node's own claim is newer, the
   * session here goes and the answer is sent at once (two nodes that claimed at the same time must
   * not wait on each other); a CONNECT still in progress here is closed once it has attached.
   */
  async #letGo(broker: Broker, sessionKey: string, epoch: number, from: NodeId): Promise<void> {
    if (broker.holds(sessionKey)) this.counts.takeoversOut++;
    try {
      await broker.evict(sessionKey, epoch, from);
    } catch (err) {
      this.#options.logger.error({ err }, 'cluster: a session taken over could not be released cleanly');
    }
    this.#options.inbox.send(from, { type: 'released', sessionKey, epoch, from: this.nodeId });
    try {
      await broker.settled(sessionKey);
      await broker.evict(sessionKey, epoch, from);
    } catch (err) {
      this.#options.logger.error({ err }, 'cluster: a session taken over could not be closed');
    }
  }
}

function groupKey(share: string, filter: string): string {
  return `${share}\u0000${filter}`; // U+0000 is never in a topic filter [MQTT-1.5.4-2]
}

function waiterKey(sessionKey: string, epoch: number): string {
  return `${sessionKey}\u0000${epoch}`;
}

/** The message as it travels: what only this process can use (an acknowledgement callback) left out. */
function withoutLocalParts(message: BrokerMessage): BrokerMessage {
  if (message.onAcknowledged === undefined) return message;
  const { onAcknowledged: _local, ...rest } = message;
  return rest;
}
