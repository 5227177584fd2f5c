/**
 * What the broker needs from a cluster of nodes (decision 0029). Absent: a single node. The broker
 * owns this port; src/cluster/ implements it, so the broker never names Redis or PostgreSQL.
 */

import type { ClusterStats } from '../observability/cluster-collectors.js';
import type { Broker } from './broker.js';
import type { BrokerMessage } from './message.js';
import type { Subscription } from './subscription.js';

/** A filter with local subscribers, or with `share` a `$share/{share}/{filter}` group with members. */
export interface ClusterRoute {
  readonly filter: string;
  readonly share?: string;
}

/** The route a subscription here gives the other nodes. */
export function clusterRoute(sub: Subscription): ClusterRoute {
  return sub.shareName === undefined
    ? { filter: sub.topicFilter }
    : { filter: sub.topicFilter, share: sub.shareName };
}

/** What forwarding a message to the other nodes did. */
export interface ForwardOutcome {
  /** Other nodes the message was sent to (one copy each). */
  readonly nodes: number;
  /** The message's name in the cluster when it was sent anywhere (its copies carry it). */
  readonly origin: MessageOrigin | undefined;
  /**
   * Share groups with members here that the publisher's pick sent to another node: this node does
   * not deliver to them (each message goes to one member of a group in the whole cluster).
   */
  readonly elsewhere: ((share: string, filter: string) => boolean) | undefined;
}

/** How a claimed session was found. */
export interface SessionClaim {
  /**
   * Another node held the session and has released it (or stopped answering): its state is in the
   * shared store, to be loaded before the session is resumed here.
   */
  readonly moved: boolean;
  /** The epoch this node holds the session at (released with it, so a newer claim is never undone). */
  readonly epoch: number;
}

export interface ClusterPort {
  /** This node's name. */
  readonly nodeId: string;
  /** A route gained a subscription here (the port counts; only the first one matters to others). */
  routeAdded(route: ClusterRoute): void;
  /** A route lost a subscription here. */
  routeRemoved(route: ClusterRoute): void;
  /**
   * Sends `message` to every other node with a matching route, one copy per node, and picks the
   * node of each share group with members on several nodes. `hasLocalGroup` says whether a group has
   * a member here. Never throws; sending is queued (see `flush`).
   */
  forward(message: BrokerMessage, hasLocalGroup: (share: string, filter: string) => boolean): ForwardOutcome;
  /**
   * Resolves once the routes changed here so far are visible to the other nodes' writers (a
   * SUBACK waits for it, so a message published elsewhere after it is routed here).
   */
  routesSettled(): Promise<void>;
  /** A retained message was set or cleared here: every other node updates its copy. */
  retained(message: BrokerMessage): void;
  /**
   * Hands `message` to the session `sessionKey` wherever it is connected, whatever it subscribed to
   * (unsolicited downlinks); for a session that is not on this node.
   */
  deliverElsewhere(sessionKey: string, message: BrokerMessage): void;
  /**
   * Makes this node the owner of `sessionKey` before a connection attaches to it: a node that holds
   * it is asked to close its connection (DISCONNECT 0x8E) and release the session. Rejects when the
   * cluster cannot decide (its database away): the connection is then refused. With `resume`
   * (clean start off), a session whose owner died is refused until a survivor has adopted it.
   */
  claim(sessionKey: string, resume?: boolean): Promise<SessionClaim>;
  /**
   * The session ended here: nobody owns it any more, unless it was claimed again since `epoch`
   * (absent: the latest claim of this node).
   */
  release(sessionKey: string, epoch: number | undefined): void;
  /**
   * Hands `message` (a QoS 1 downlink) to the session `sessionKey` on the node that holds it (not
   * this one) and resolves with the PUBACK round trip that node measured, in ms; undefined when no
   * other node holds it, nothing answered in time, or the cluster could not be asked.
   */
  pingElsewhere(sessionKey: string, message: BrokerMessage): Promise<number | undefined>;
  /** True when another node owns the session `sessionKey` now. */
  heldElsewhere(sessionKey: string): Promise<boolean>;
  /**
   * Keys of the sessions this node owned when it last stopped, taken up for this run (restored at
   * start; a survivor adopting the previous run leaves them).
   */
  ownedSessions(): Promise<readonly string[]>;
  /** Resolves once every message forwarded before the call is in the receiving nodes' inboxes. */
  flush(): Promise<void>;
  /**
   * Sends `node` a copy for the session `sessionKey` this node released to its claim at `epoch` (the
   * routes here still matched it; see ClusterSessions.evict). Never throws; queued like a forward.
   */
  relay(node: string, sessionKey: string, epoch: number, copy: RelayedCopy): void;
  /**
   * Keeps `will`, the will of the connection attached to the session `sessionKey` (held here at
   * `epoch`, ending with its connection), where the node adopting this one finds it. Queued.
   */
  keepWill(sessionKey: string, epoch: number, will: BrokerMessage): void;
  /** True once every one of `routes` is known here as held by `node`. */
  routesReached(node: string, routes: readonly ClusterRoute[]): boolean;
  /**
   * The session `sessionKey`, claimed here at `epoch` from another node, is restored here: returns
   * the copies that node relayed meanwhile, in order, and tells it once this node's routes are
   * settled, so it stops relaying.
   */
  movedIn(sessionKey: string, epoch: number): readonly RelayedCopy[];
}

/** A copy relayed for a session that moved here, as the old owner's routes matched it. */
export interface RelayedCopy {
  readonly message: BrokerMessage;
  readonly subscriptionIds: readonly number[] | undefined;
  /** The message's name in the cluster, when it has one: a session that moved in takes it once. */
  readonly origin: MessageOrigin | undefined;
}

/**
 * One routed message's name in the whole cluster: the node that routed it and that node's
 * count of forwarded messages. Every copy of it (forwarded, relayed) carries the same name, so
 * a session that moved between nodes, which may be sent one copy directly and one relayed by its
 * previous node, takes it once.
 */
export interface MessageOrigin {
  readonly node: string;
  readonly seq: number;
}

/** A cluster node as the composition runs it: the broker's port, then the exchange with the others. */
export interface ClusterRuntime {
  readonly port: ClusterPort;
  /** Starts exchanging with the other nodes for `broker` (started, restored, not yet listening). */
  start(broker: Broker): Promise<void>;
  /** Resolves while this node is a healthy member (readiness); rejects saying why not. */
  check(): Promise<void>;
  /** What the node counted so far (`/metrics`). */
  stats(): ClusterStats;
  /**
   * A graceful stop begins: stops taking messages from the other nodes, so none is applied once
   * the broker's stores close (they stay for the node that adopts this one's sessions).
   */
  quiesce(): void;
  /** Leaves the cluster (after the broker closed). */
  close(): Promise<void>;
}
