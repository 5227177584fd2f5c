/**
 * The vocabulary of the cluster (several devgate nodes on one PostgreSQL and one Redis): what one
 * node sends another, how routes are replicated, who owns a session. PostgreSQL is the source of
 * truth (membership, session ownership); Redis carries traffic between nodes.
 */

import type { MessageOrigin } from '../broker/cluster-port.js';
import type { BrokerMessage } from '../broker/message.js';

/** A node's name in the cluster (`--node-id`; default hostname:port). */
export type NodeId = string;

/**
 * A route: a filter (the internal match filter) that at least one session on a node subscribes
 * to, or, with `share`, a `$share/{share}/{filter}` group with at least one member on the node.
 */
export interface Route {
  readonly filter: string;
  readonly share?: string;
}

/** A batch of route changes of one node, in the order they happened. */
export interface RouteChange {
  readonly added: readonly Route[];
  readonly removed: readonly Route[];
}

/**
 * What one node sends to another's inbox.
 * - `publish`: a message for the receiver's sessions: `direct` = its non-shared subscribers,
 *   `groups` = the share groups (`Route`s with `share`) this node picked the receiver for; each
 *   picked group delivers to exactly one local member. `seq` names the message with the sender.
 * - `deliver`: a message for one session regardless of its subscriptions (unsolicited downlinks).
 * - `kick`: the sender claimed `sessionKey` at `epoch`; the receiver closes its connection with
 *   DISCONNECT 0x8E, makes the session's state durable, forgets it and answers `released`.
 * - `released`: answer to `kick`.
 * - `retained`: a retained message was set (or, empty, cleared) on the sender, which stored it;
 *   every node keeps a copy to answer subscriptions.
 * - `ping`: the receiver holds the session `sessionKey`: it hands `message` (a QoS 1 downlink) to
 *   it, times the PUBACK with its own clock and answers `pong` with the same `id`.
 * - `pong`: answer to `ping`: `rttMs` the round trip, absent when nothing answered in time or the
 *   session is not on the receiver.
 * - `relay`: the sender released `sessionKey` to the receiver's claim at `epoch` and still had its
 *   routes: a copy for that session that matched them (QoS and retain already as delivered), to
 *   be queued only in the session resumed at that epoch, once (`origin`: the message's name, which
 *   a copy forwarded to the receiver directly carries too).
 * - `moved`: answer to the relays: the session resumed on the sender at `epoch` and its routes
 *   reached Redis; the receiver stops relaying once it sees them.
 */
export type ClusterEnvelope =
  | {
      readonly type: 'publish';
      readonly message: BrokerMessage;
      readonly direct: boolean;
      readonly groups?: readonly Route[];
      /** The sender's number for the message (its MessageOrigin with the sender's node id). */
      readonly seq?: number;
    }
  | { readonly type: 'deliver'; readonly sessionKey: string; readonly message: BrokerMessage }
  | { readonly type: 'kick'; readonly sessionKey: string; readonly epoch: number; readonly from: NodeId }
  | { readonly type: 'released'; readonly sessionKey: string; readonly epoch: number; readonly from: NodeId }
  | { readonly type: 'retained'; readonly message: BrokerMessage }
  | {
      readonly type: 'ping';
      readonly sessionKey: string;
      readonly id: number;
      readonly from: NodeId;
      readonly message: BrokerMessage;
    }
  | { readonly type: 'pong'; readonly id: number; readonly rttMs?: number; readonly from: NodeId }
  | {
      readonly type: 'relay';
      readonly sessionKey: string;
      readonly epoch: number;
      readonly message: BrokerMessage;
      readonly subscriptionIds?: readonly number[];
      readonly origin?: MessageOrigin;
    }
  | { readonly type: 'moved'; readonly sessionKey: string; readonly epoch: number; readonly from: NodeId };

/** One envelope read from this node's inbox, with the node that sent it. */
export interface InboxEntry {
  readonly from: NodeId;
  readonly envelope: ClusterEnvelope;
}
