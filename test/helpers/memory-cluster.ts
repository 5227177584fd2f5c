import type { Broker } from '../../src/broker/broker.js';
import type { ClusterRuntime } from '../../src/broker/cluster-port.js';
import { ClusterNode, type RemoteRoutesPart } from '../../src/cluster/cluster-node.js';
import type { ClusterEnvelope, InboxEntry, NodeId, Route } from '../../src/cluster/types.js';
import { topicMatches } from '../../src/mqtt/topic/match.js';
import { createLogger } from '../../src/observability/logger.js';

/**
 * Cluster nodes in one process, joined by an in-memory bus: the broker's cluster behaviour
 * (forwarding, share groups, takeover, retained copies) tested without Redis. Ownership is a map
 * with epochs, as the PostgreSQL table behaves; routes are visible to the others at once.
 */
export class MemoryClusterNet {
  readonly #routes = new Map<NodeId, Map<string, { route: Route; count: number }>>();
  readonly #nodes = new Map<NodeId, ClusterNode>();
  readonly #owners = new Map<string, { node: NodeId; epoch: number }>();
  readonly #down = new Set<NodeId>();
  /** Nodes whose view of the others' routes is held at a snapshot (replication lag). */
  readonly #frozenViews = new Map<NodeId, Map<NodeId, Map<string, { route: Route; count: number }>>>();
  /** Envelopes sent, by type (what a test can count). */
  readonly sent = new Map<string, number>();

  /** A node's runtime, for `createServer(config, { cluster })`. */
  node(nodeId: NodeId): ClusterRuntime {
    const routes = new Map<string, { route: Route; count: number }>();
    this.#routes.set(nodeId, routes);
    const pending: InboxEntry[] = [];
    let scheduled = false;
    const node = new ClusterNode({
      nodeId,
      logger: createLogger({ level: 'silent' }),
      isLive: async (other) => this.#nodes.has(other) && !this.#down.has(other),
      otherNodes: () => [...this.#nodes.keys()].filter((other) => other !== nodeId),
      releaseTimeoutMs: 1000,
      // A ping of a session on another node: its PUBACK awaited this long there.
      pingTimeoutMs: 500,
      routesSettled: () => Promise.resolve(),
      inbox: {
        send: (to, envelope) => this.#send(nodeId, to, envelope),
        flush: () => Promise.resolve(),
      },
      localRoutes: {
        add: (route) => {
          const key = routeKey(route);
          const entry = routes.get(key);
          if (entry === undefined) routes.set(key, { route, count: 1 });
          else entry.count++;
        },
        remove: (route) => {
          const key = routeKey(route);
          const entry = routes.get(key);
          if (entry !== undefined && --entry.count === 0) routes.delete(key);
        },
      },
      remoteRoutes: {
        match: (topic) => this.#match(nodeId, topic),
        holds: (node, route) =>
          (this.#frozenViews.get(nodeId) ?? this.#routes).get(node)?.has(routeKey(route)) ?? false,
      },
      ownership: {
        // Every node of the memory bus is live: nothing is left for an adopter.
        claim: async (key, _takeFromDead) => {
          await Promise.resolve();
          const previous = this.#owners.get(key);
          const epoch = (previous?.epoch ?? 0) + 1;
          this.#owners.set(key, { node: nodeId, epoch });
          return { epoch, previousNode: previous?.node };
        },
        release: (key, epoch) => {
          const owner = this.#owners.get(key);
          if (owner?.node === nodeId && owner.epoch === epoch) this.#owners.delete(key);
        },
        ownersOf: async (keys) => {
          const found = new Map<string, { node: NodeId; epoch: number }>();
          for (const key of keys) {
            const owner = this.#owners.get(key);
            if (owner !== undefined) found.set(key, owner);
          }
          return found;
        },
        takeUp: async () => [...this.#owners].filter(([, o]) => o.node === nodeId).map(([key]) => key),
        keepWill: () => undefined, // the memory bus has no node death to publish it for
        handBack: async (key, epoch, previousNode) => {
          const owner = this.#owners.get(key);
          if (owner?.node === nodeId && owner.epoch === epoch)
            this.#owners.set(key, { node: previousNode, epoch: epoch + 1 });
        },
      },
    });
    this.#nodes.set(nodeId, node);
    this.#inboxes.set(nodeId, (entry) => {
      pending.push(entry);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = pending.splice(0);
        node.receive(batch).catch(() => undefined);
      });
    });
    return {
      port: node,
      start: async (broker: Broker) => node.attach(broker),
      check: async () => undefined,
      stats: () => ({
        liveNodes: this.#nodes.size,
        fenced: false,
        forwarded: node.counts.forwarded,
        received: 0,
        pendingSends: 0,
        droppedSends: 0,
        takeoversIn: node.counts.takeoversIn,
        takeoversOut: node.counts.takeoversOut,
        adoptedSessions: 0,
        droppedRelayedCopies: node.droppedRelayedCopies,
        droppedWills: 0, // the memory bus keeps no wills
        failedOwnershipBatches: 0, // nor ownership rows
        droppedReleases: 0,
      }),
      quiesce: () => undefined, // the memory bus delivers at once: nothing waits to be read
      close: async () => {
        this.#nodes.delete(nodeId);
        this.#routes.delete(nodeId);
      },
    };
  }

  /**
   * Holds what `nodeId` sees of the other nodes' routes (what it matches, what it knows they
   * hold) as it is now, as if their changes were slow to reach it, until the returned function
   * is called. The others see changes at once.
   */
  freezeRoutesSeenBy(nodeId: NodeId): () => void {
    const snapshot = new Map<NodeId, Map<string, { route: Route; count: number }>>();
    for (const [node, routes] of this.#routes) {
      const copy = new Map<string, { route: Route; count: number }>();
      for (const [key, entry] of routes) copy.set(key, { ...entry });
      snapshot.set(node, copy);
    }
    this.#frozenViews.set(nodeId, snapshot);
    return () => this.#frozenViews.delete(nodeId);
  }

  /** Who owns `key` now. */
  ownerOf(key: string): NodeId | undefined {
    return this.#owners.get(key)?.node;
  }

  readonly #inboxes = new Map<NodeId, (entry: InboxEntry) => void>();

  #send(from: NodeId, to: NodeId, envelope: ClusterEnvelope): void {
    this.sent.set(envelope.type, (this.sent.get(envelope.type) ?? 0) + 1);
    this.#inboxes.get(to)?.({ from, envelope });
  }

  #match(self: NodeId, topic: string): ReturnType<RemoteRoutesPart['match']> {
    const direct: NodeId[] = [];
    const groups = new Map<string, { route: Route; nodes: NodeId[] }>();
    for (const [node, routes] of this.#frozenViews.get(self) ?? this.#routes) {
      if (node === self) continue;
      let matchedDirect = false;
      for (const { route } of routes.values()) {
        if (!topicMatches(route.filter, topic)) continue;
        if (route.share === undefined) matchedDirect = true;
        else {
          const key = routeKey(route);
          const group = groups.get(key) ?? { route, nodes: [] };
          group.nodes.push(node);
          groups.set(key, group);
        }
      }
      if (matchedDirect) direct.push(node);
    }
    return { direct, groups: [...groups.values()] };
  }
}

function routeKey(route: Route): string {
  return `${route.share ?? ''}\u0000${route.filter}`;
}
