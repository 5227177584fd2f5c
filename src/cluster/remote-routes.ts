import { MAX_CACHED_TOPIC_LENGTH, MatchCache, type MatchCacheLimits } from '../broker/match-cache.js';
import { SubscriptionTrie } from '../mqtt/topic/trie.js';
import { routeKey } from './route-key.js';
import type { NodeId, Route, RouteChange } from './types.js';

/** A matching share group (share name + filter) and the nodes with members in it. */
export interface RemoteGroup {
  readonly route: Route;
  readonly nodes: readonly NodeId[];
}

/** Where a published message must go besides this node. Frozen; may be shared between calls. */
export interface RemoteMatch {
  /** Nodes with at least one matching non-shared route: each gets one copy. */
  readonly direct: readonly NodeId[];
  /** Matching share groups: the caller picks one member node per group and message. */
  readonly groups: readonly RemoteGroup[];
}

const NO_NODES: readonly NodeId[] = Object.freeze([]);
const NO_GROUPS: readonly RemoteGroup[] = Object.freeze([]);
/** The answer for a topic no remote route matches; one object, never allocated per call. */
const NO_MATCH: RemoteMatch = Object.freeze({ direct: NO_NODES, groups: NO_GROUPS });

/**
 * The routes of the other nodes, replicated from Redis, and the per-publish question "which nodes
 * need this topic". Answers are cached per topic (the broker's MatchCache: bounded, FIFO, pauses
 * admission under churn) and invalidated whenever a route on a filter matching the topic changes.
 * With no remote routes at all a match costs one comparison.
 */
export class RemoteRoutes {
  /**
   * One trie for both kinds, so a match splits the topic and walks once: filter → node id → node id
   * for plain routes, filter → NUL + share name → the group (replaced, never mutated, when its
   * nodes change). The NUL keeps group keys apart from node ids.
   */
  readonly #trie = new SubscriptionTrie<NodeId | RemoteGroup>();
  /** node → its routes by key: what reset and dropNode diff against. */
  readonly #byNode = new Map<NodeId, Map<string, Route>>();
  readonly #cache: MatchCache<RemoteMatch>;
  #count = 0;
  #visitDirect: NodeId[] | undefined;
  #visitGroups: RemoteGroup[] | undefined;

  /** `cache` limits: `{ maxTopics: 0 }` turns the cache off (the reference in tests). */
  constructor(cache?: MatchCacheLimits) {
    this.#cache = new MatchCache(cache);
  }

  /** Routes held over all nodes (a gauge). */
  get size(): number {
    return this.#count;
  }

  /** Topics whose answer is cached (a gauge for tests and metrics). */
  get cachedTopics(): number {
    return this.#cache.size;
  }

  /** Nodes whose route set is held (possibly empty), until dropped. */
  nodes(): NodeId[] {
    return [...this.#byNode.keys()];
  }

  /** The routes held for `node`. */
  routesOf(node: NodeId): Route[] {
    return [...(this.#byNode.get(node)?.values() ?? [])];
  }

  /** True when `route` is among `node`'s routes as replicated here. */
  holds(node: NodeId, route: Route): boolean {
    return this.#byNode.get(node)?.has(routeKey(route)) ?? false;
  }

  /** Applies one batch of `node`'s changes: removals first, then additions (either order is idempotent). */
  apply(node: NodeId, change: RouteChange): void {
    const routes = this.#routesOf(node);
    for (const route of change.removed) this.#remove(node, routes, routeKey(route));
    for (const route of change.added) this.#add(node, routes, route);
  }

  /** Replaces `node`'s route set; routes in both the old and new set are left untouched. */
  reset(node: NodeId, routes: readonly Route[]): void {
    const held = this.#routesOf(node);
    const next = new Map<string, Route>();
    for (const route of routes) next.set(routeKey(route), route);
    for (const key of [...held.keys()]) if (!next.has(key)) this.#remove(node, held, key);
    for (const [key, route] of next) if (!held.has(key)) this.#add(node, held, route);
  }

  /** Forgets `node` and all its routes. */
  dropNode(node: NodeId): void {
    const held = this.#byNode.get(node);
    if (held === undefined) return;
    for (const key of [...held.keys()]) this.#remove(node, held, key);
    this.#byNode.delete(node);
  }

  /** The nodes (and share groups) that need a message on `topic`, a valid topic name. */
  match(topic: string): RemoteMatch {
    if (this.#trie.size === 0) return NO_MATCH;
    if (!this.#cache.enabled || topic.length > MAX_CACHED_TOPIC_LENGTH) return this.#matchUncached(topic);
    const cached = this.#cache.get(topic);
    if (cached !== undefined) return cached;
    const matched = this.#matchUncached(topic);
    if (this.#cache.admitting)
      this.#cache.set(topic, matched, matched.direct.length + matched.groups.length + 1);
    return matched;
  }

  #matchUncached(topic: string): RemoteMatch {
    this.#visitDirect = undefined;
    this.#visitGroups = undefined;
    this.#trie.match(topic, this.#onEntry);
    const direct = this.#visitDirect;
    const groups = this.#visitGroups;
    if (direct === undefined && groups === undefined) return NO_MATCH;
    this.#visitDirect = undefined;
    this.#visitGroups = undefined;
    return Object.freeze({
      direct: direct === undefined ? NO_NODES : Object.freeze(direct),
      groups: groups === undefined ? NO_GROUPS : Object.freeze(groups),
    });
  }

  /** The visitor, bound once, so a match allocates nothing unless something matches. */
  readonly #onEntry = (entry: NodeId | RemoteGroup): void => {
    if (typeof entry === 'string') {
      this.#visitDirect ??= [];
      // A node matching through several filters gets one copy.
      if (!this.#visitDirect.includes(entry)) this.#visitDirect.push(entry);
      return;
    }
    this.#visitGroups ??= [];
    this.#visitGroups.push(entry);
  };

  #routesOf(node: NodeId): Map<string, Route> {
    let routes = this.#byNode.get(node);
    if (routes === undefined) {
      routes = new Map();
      this.#byNode.set(node, routes);
    }
    return routes;
  }

  #add(node: NodeId, held: Map<string, Route>, route: Route): void {
    const key = routeKey(route);
    if (held.has(key)) return;
    const copy: Route = Object.freeze(
      route.share === undefined ? { filter: route.filter } : { filter: route.filter, share: route.share },
    );
    held.set(key, copy);
    this.#count++;
    this.#cache.invalidate(copy.filter);
    if (copy.share === undefined) {
      this.#trie.set(copy.filter, node, node);
      return;
    }
    const group = this.#trie.get(copy.filter, groupKey(copy.share)) as RemoteGroup | undefined;
    const nodes = group === undefined ? [node] : [...group.nodes, node];
    this.#trie.set(
      copy.filter,
      groupKey(copy.share),
      Object.freeze({ route: group?.route ?? copy, nodes: Object.freeze(nodes) }),
    );
  }

  #remove(node: NodeId, held: Map<string, Route>, key: string): void {
    const route = held.get(key);
    if (route === undefined) return;
    held.delete(key);
    this.#count--;
    this.#cache.invalidate(route.filter);
    if (route.share === undefined) {
      this.#trie.delete(route.filter, node);
      return;
    }
    const group = this.#trie.get(route.filter, groupKey(route.share)) as RemoteGroup | undefined;
    if (group === undefined) return;
    const nodes = group.nodes.filter((n) => n !== node);
    if (nodes.length === 0) this.#trie.delete(route.filter, groupKey(route.share));
    else
      this.#trie.set(
        route.filter,
        groupKey(route.share),
        Object.freeze({ route: group.route, nodes: Object.freeze(nodes) }),
      );
  }
}

const groupKey = (share: string): string => `\u0000${share}`;
