import type { OrgType } from '../model.js';
import type { OrgNode } from './org-store.js';

interface TreeEntry {
  parent: number | null;
  type: OrgType;
  readonly children: Set<number>;
}

/**
 * The organization tree held in memory (spec §5.1, §2.2): the scoping rule "credential org and
 * its descendants" is asked on every gateway publish, so it must be synchronous and cheap. Kept
 * in step with the store by the org service on every change; O(depth) per scope check.
 */
export class OrgTree {
  readonly #entries = new Map<number, TreeEntry>();

  constructor(nodes: Iterable<OrgNode> = []) {
    this.reset(nodes);
  }

  /** Replaces the whole tree (reloaded from the store after another process changed it). */
  reset(nodes: Iterable<OrgNode>): void {
    this.#entries.clear();
    const list = [...nodes];
    for (const node of list) {
      this.#entries.set(node.id, { parent: node.parentOrganizationId, type: node.type, children: new Set() });
    }
    for (const node of list) {
      if (node.parentOrganizationId !== null)
        this.#entries.get(node.parentOrganizationId)?.children.add(node.id);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The org without a parent, if any. */
  root(): number | undefined {
    for (const [id, entry] of this.#entries) if (entry.parent === null) return id;
    return undefined;
  }

  has(id: number): boolean {
    return this.#entries.has(id);
  }

  parentOf(id: number): number | null | undefined {
    return this.#entries.get(id)?.parent;
  }

  typeOf(id: number): OrgType | undefined {
    return this.#entries.get(id)?.type;
  }

  children(id: number): readonly number[] {
    return [...(this.#entries.get(id)?.children ?? [])].sort((a, b) => a - b);
  }

  /** True when `orgId` is `scopeOrgId` or one of its descendants; false for unknown ids. */
  isInScope(scopeOrgId: number, orgId: number): boolean {
    if (!this.#entries.has(scopeOrgId)) return false;
    // Bounded walk: a corrupt parent chain can never loop forever.
    let current: number | null | undefined = orgId;
    for (let steps = 0; current !== null && current !== undefined && steps <= this.#entries.size; steps++) {
      if (current === scopeOrgId) return true;
      current = this.#entries.get(current)?.parent;
    }
    return false;
  }

  /** Path from the root down to `orgId`, inclusive; empty when unknown. */
  ancestry(orgId: number): number[] {
    const path: number[] = [];
    let current: number | null | undefined = this.#entries.has(orgId) ? orgId : undefined;
    while (current !== null && current !== undefined && path.length <= this.#entries.size) {
      path.push(current);
      current = this.#entries.get(current)?.parent;
    }
    return path.reverse();
  }

  /** Level of `orgId`, root = 1; 0 when unknown. */
  depth(orgId: number): number {
    return this.ancestry(orgId).length;
  }

  /** `orgId` and all its descendants, ordered by id; empty when unknown. */
  subtree(orgId: number): number[] {
    if (!this.#entries.has(orgId)) return [];
    const out: number[] = [];
    const stack = [orgId];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      out.push(id);
      for (const child of this.#entries.get(id)?.children ?? []) stack.push(child);
    }
    return out.sort((a, b) => a - b);
  }

  /** Levels in the subtree under and including `orgId` (a leaf is 1); 0 when unknown. */
  height(orgId: number): number {
    const entry = this.#entries.get(orgId);
    if (entry === undefined) return 0;
    let below = 0;
    for (const child of entry.children) below = Math.max(below, this.height(child));
    return below + 1;
  }

  add(node: OrgNode): void {
    if (this.#entries.has(node.id)) throw new Error(`org ${node.id} is already in the tree`);
    const parent = node.parentOrganizationId;
    if (parent !== null && !this.#entries.has(parent))
      throw new Error(`parent org ${parent} is not in the tree`);
    this.#entries.set(node.id, { parent, type: node.type, children: new Set() });
    if (parent !== null) this.#entries.get(parent)?.children.add(node.id);
  }

  setType(id: number, type: OrgType): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.type = type;
  }

  /** Re-parents `id`; refuses a move under itself or a descendant (which would make a cycle). */
  move(id: number, newParent: number): void {
    const entry = this.#entries.get(id);
    if (entry === undefined || !this.#entries.has(newParent))
      throw new Error(`org ${id} or ${newParent} unknown`);
    if (this.isInScope(id, newParent)) throw new Error(`org ${newParent} is inside the subtree of ${id}`);
    if (entry.parent !== null) this.#entries.get(entry.parent)?.children.delete(id);
    entry.parent = newParent;
    this.#entries.get(newParent)?.children.add(id);
  }

  /** Removes a leaf; refuses an org that still has children. */
  remove(id: number): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    if (entry.children.size > 0) throw new Error(`org ${id} still has sub-organizations`);
    if (entry.parent !== null) this.#entries.get(entry.parent)?.children.delete(id);
    this.#entries.delete(id);
  }
}
