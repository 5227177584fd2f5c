const DOLLAR = 0x24;

class TrieNode<V> {
  /** Literal child levels; `+` and `#` live in their own slots so matching needs no lookups for them. */
  children: Map<string, TrieNode<V>> | undefined;
  plus: TrieNode<V> | undefined;
  hash: TrieNode<V> | undefined;
  /** Entries of the filter ending here, by key (client id or share group id). */
  values: Map<string, V> | undefined;
  /** The filter ending at this node, set with its first entry. */
  filter = '';

  constructor(
    readonly parent: TrieNode<V> | undefined,
    readonly level: string,
  ) {}

  child(level: string): TrieNode<V> | undefined {
    if (level === '+') return this.plus;
    if (level === '#') return this.hash;
    return this.children?.get(level);
  }

  addChild(level: string): TrieNode<V> {
    const node = new TrieNode<V>(this, level);
    if (level === '+') this.plus = node;
    else if (level === '#') this.hash = node;
    else {
      this.children ??= new Map();
      this.children.set(level, node);
    }
    return node;
  }

  removeChild(level: string): void {
    if (level === '+') this.plus = undefined;
    else if (level === '#') this.hash = undefined;
    else if (this.children?.delete(level) === true && this.children.size === 0) this.children = undefined;
  }

  get isEmpty(): boolean {
    return this.values === undefined && this.children === undefined && !this.plus && !this.hash;
  }
}

export type TrieVisitor<V> = (value: V, key: string, filter: string) => void;

/**
 * The routing index: topic filter → (key → value), several keys per filter. Matching splits the
 * topic once and walks the trie iteratively with an explicit stack. `a/#` matches `a`
 * [MQTT-4.7.1-2]; wildcards in the first level skip topics starting with `$` [MQTT-4.7.2-1].
 * Filters must be valid and not shared (strip `$share/{name}/` and key by group instead).
 */
export class SubscriptionTrie<V> {
  readonly #root = new TrieNode<V>(undefined, '');
  #size = 0;
  #nodes = 1;

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.#size;
  }

  /** Trie nodes including the root: a memory gauge, and how tests see that deletes prune. */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Adds or replaces an entry; true when it is new. */
  set(filter: string, key: string, value: V): boolean {
    let node = this.#root;
    for (const level of filter.split('/')) {
      let next = node.child(level);
      if (next === undefined) {
        next = node.addChild(level);
        this.#nodes++;
      }
      node = next;
    }
    node.filter = filter;
    node.values ??= new Map();
    const isNew = !node.values.has(key);
    node.values.set(key, value);
    if (isNew) this.#size++;
    return isNew;
  }

  get(filter: string, key: string): V | undefined {
    return this.#find(filter)?.values?.get(key);
  }

  /** Removes an entry and prunes the nodes it leaves empty; true when it existed. */
  delete(filter: string, key: string): boolean {
    let node = this.#find(filter);
    if (node?.values?.delete(key) !== true) return false;
    this.#size--;
    if (node.values.size === 0) node.values = undefined;
    while (node.parent !== undefined && node.isEmpty) {
      node.parent.removeChild(node.level);
      this.#nodes--;
      node = node.parent;
    }
    return true;
  }

  /** Calls `visit` once per entry whose filter matches `topic` (a valid topic name). */
  match(topic: string, visit: TrieVisitor<V>): void {
    const levels = topic.split('/');
    const depth = levels.length;
    const dollar = topic.charCodeAt(0) === DOLLAR;
    const nodes: TrieNode<V>[] = [this.#root];
    const at: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const i = at.pop()!;
      if (i === depth) {
        visitAll(node, visit);
        if (node.hash !== undefined) visitAll(node.hash, visit); // `a/#` matches `a`
        continue;
      }
      if (i > 0 || !dollar) {
        if (node.hash !== undefined) visitAll(node.hash, visit);
        if (node.plus !== undefined) {
          nodes.push(node.plus);
          at.push(i + 1);
        }
      }
      const next = node.children?.get(levels[i]!);
      if (next !== undefined) {
        nodes.push(next);
        at.push(i + 1);
      }
    }
  }

  #find(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.#root;
    for (const level of filter.split('/')) {
      node = node.child(level);
      if (node === undefined) return undefined;
    }
    return node;
  }
}

function visitAll<V>(node: TrieNode<V>, visit: TrieVisitor<V>): void {
  if (node.values === undefined) return;
  for (const [key, value] of node.values) visit(value, key, node.filter);
}
