import type { NodeId, Route } from './types.js';

const MAX_GROUPS = 100_000;

/**
 * Picks, per message, the node of a share group whose members are spread over several nodes: round
 * robin over the nodes with members (this node included when it has one), so each message goes to
 * exactly one member in the whole cluster [MQTT-4.8.2-2] and the load spreads over the nodes.
 */
export class ShareGroupPicker {
  /** Next index per group; cleared when it reaches its bound (the spread restarts, nothing is lost). */
  readonly #cursors = new Map<string, number>();

  pick(route: Route, remote: readonly NodeId[], self: NodeId | undefined): NodeId {
    const key = `${route.share ?? ''}\u0000${route.filter}`;
    if (this.#cursors.size >= MAX_GROUPS && !this.#cursors.has(key)) this.#cursors.clear();
    const cursor = this.#cursors.get(key) ?? 0;
    const count = remote.length + (self === undefined ? 0 : 1);
    this.#cursors.set(key, (cursor + 1) % count);
    const index = cursor % count;
    return index < remote.length ? (remote[index] as NodeId) : (self as NodeId);
  }
}
