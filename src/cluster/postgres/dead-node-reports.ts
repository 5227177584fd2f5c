import type { NodeId } from '../types.js';

/**
 * Which dead incarnations were reported already, so each is reported once. A node that is no
 * longer expired (it rejoined, left, or its row was forgotten) is forgotten here too: its next
 * death is a new incarnation and is reported again. Holds at most one entry per expired row.
 */
export class DeadNodeReports {
  readonly #reported = new Map<NodeId, number>();

  /** The expired (node, incarnation) pairs not reported before, now marked reported. */
  unreported(expired: readonly { node: NodeId; incarnation: number }[]): [NodeId, number][] {
    const now = new Map(expired.map(({ node, incarnation }) => [node, incarnation]));
    for (const node of this.#reported.keys()) if (!now.has(node)) this.#reported.delete(node);
    const fresh: [NodeId, number][] = [];
    for (const [node, incarnation] of now) {
      if (this.#reported.get(node) === incarnation) continue;
      this.#reported.set(node, incarnation);
      fresh.push([node, incarnation]);
    }
    return fresh;
  }
}
