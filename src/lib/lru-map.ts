interface Node<K, V> {
  readonly key: K;
  value: V;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
}

/**
 * A Map that knows its least recently used entry: `set` and `touch` make an entry the newest,
 * `oldest` names the one to evict (the gateway's device book, the platform's token cache). The order is a linked list, not Map re-insertion: V8 keeps deleted Map entries
 * in place until it rehashes, so a Map used as a queue (delete the first, append) makes every
 * `keys().next()` walk over the dead ones.
 */
export class LruMap<K, V> {
  readonly #nodes = new Map<K, Node<K, V>>();
  #oldest: Node<K, V> | undefined;
  #newest: Node<K, V> | undefined;

  get size(): number {
    return this.#nodes.size;
  }

  /** The value, without changing the order. */
  get(key: K): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  /** The value, and the entry becomes the newest (a use, for least-recently-used eviction). */
  touch(key: K): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#makeNewest(node);
    return node.value;
  }

  /** Sets the value and makes the entry the newest. */
  set(key: K, value: V): void {
    const node = this.#nodes.get(key);
    if (node !== undefined) {
      node.value = value;
      this.#makeNewest(node);
      return;
    }
    const added: Node<K, V> = { key, value, older: this.#newest, newer: undefined };
    this.#nodes.set(key, added);
    this.#append(added);
  }

  /** Changes an entry's value without changing the order; false when there is no such entry. */
  replace(key: K, value: V): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    node.value = value;
    return true;
  }

  delete(key: K): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#nodes.delete(key);
    this.#unlink(node);
    return true;
  }

  /** The values, in no particular order (the order of use stays as it is). */
  *values(): IterableIterator<V> {
    for (const node of this.#nodes.values()) yield node.value;
  }

  /** The least recently set key. */
  oldest(): K | undefined {
    return this.#oldest?.key;
  }

  #makeNewest(node: Node<K, V>): void {
    if (node === this.#newest) return;
    this.#unlink(node);
    node.older = this.#newest;
    this.#append(node);
  }

  /** Links `node` (its `older` already the current newest) in as the newest. */
  #append(node: Node<K, V>): void {
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }

  #unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}
