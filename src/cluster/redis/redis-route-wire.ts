import { parseRouteKey } from '../route-key.js';
import type { NodeId, Route } from '../types.js';

/**
 * Where the route replica keeps its data in Redis:
 * - `{prefix}:routes:{node}`: SET of the node's route keys (`routeKey`);
 * - `{prefix}:route-nodes`: SET of the nodes that have a route set;
 * - `{prefix}:route-versions`: HASH node → `{run}:{seq}` of the last change written with the set;
 * - `{prefix}:route-changes`: the pub/sub channel of `RouteMessage`s.
 * Set, version and message are written in one MULTI, so a reader that loads a set with its version
 * knows exactly which messages it already contains.
 */
export interface RouteKeys {
  readonly nodes: string;
  readonly versions: string;
  readonly channel: string;
  routesOf(node: NodeId): string;
}

export function routeKeys(prefix: string): RouteKeys {
  return {
    nodes: `${prefix}:route-nodes`,
    versions: `${prefix}:route-versions`,
    channel: `${prefix}:route-changes`,
    routesOf: (node) => `${prefix}:routes:${node}`,
  };
}

/** A node's incarnation (random per start) and the sequence number of its last change. */
export interface RouteVersion {
  readonly run: string;
  readonly seq: number;
}

/**
 * What the channel carries:
 * - `change`: a batch of route keys added and removed, sequence `seq` of run `run`;
 * - `full`: the node rewrote its whole set (start, recovery, a batch too large to publish):
 *   receivers reload it;
 * - `drop`: the node's routes were removed (it is dead).
 */
export type RouteMessage =
  | {
      readonly type: 'change';
      readonly node: NodeId;
      readonly run: string;
      readonly seq: number;
      readonly added: readonly string[];
      readonly removed: readonly string[];
    }
  | { readonly type: 'full'; readonly node: NodeId; readonly run: string; readonly seq: number }
  | { readonly type: 'drop'; readonly node: NodeId };

export function encodeVersion(version: RouteVersion): string {
  return `${version.run}:${version.seq}`;
}

export function decodeVersion(text: string | null | undefined): RouteVersion | undefined {
  if (typeof text !== 'string') return undefined;
  const colon = text.lastIndexOf(':');
  const seq = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  return { run: text.slice(0, colon), seq };
}

export function encodeMessage(message: RouteMessage): string {
  return JSON.stringify(message);
}

/** The message in `text`, or undefined when it is not one (anything may be published on a channel). */
export function decodeMessage(text: string): RouteMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  // RemoteRoutes keys share groups by NUL + name beside node ids: no node id holds a NUL.
  if (typeof m.node !== 'string' || m.node.length === 0 || m.node.includes('\u0000')) return undefined;
  if (m.type === 'drop') return { type: 'drop', node: m.node };
  if (typeof m.run !== 'string' || !Number.isSafeInteger(m.seq)) return undefined;
  const seq = m.seq as number;
  if (m.type === 'full') return { type: 'full', node: m.node, run: m.run, seq };
  if (m.type !== 'change' || !isStringArray(m.added) || !isStringArray(m.removed)) return undefined;
  return { type: 'change', node: m.node, run: m.run, seq, added: m.added, removed: m.removed };
}

/** The valid routes among `keys`; `invalid` counts the rest (written by something else). */
export function decodeRoutes(keys: readonly string[]): { routes: Route[]; invalid: number } {
  const routes: Route[] = [];
  let invalid = 0;
  for (const key of keys) {
    const route = parseRouteKey(key);
    if (route === undefined) invalid++;
    else routes.push(route);
  }
  return { routes, invalid };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
