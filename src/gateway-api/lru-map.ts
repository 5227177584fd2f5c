interface Node<K, V> {
  readonly key: K;
  value: V;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
}

/**
 * A Map that knows its least recently set entry: `set` makes an entry the newest, `oldest` names
 * the one to evict. The order is a linked list, not Map re-insertion: V8 keeps deleted Map entries
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

  /** Sets the value and makes the entry the newest. */
  set(key: K, value: V): void {
    let node = this.#nodes.get(key);
    if (node === undefined) {
      node = { key, value, older: undefined, newer: undefined };
      this.#nodes.set(key, node);
    } else {
      node.value = value;
      if (node === this.#newest) return;
      this.#unlink(node);
    }
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }

  delete(key: K): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#nodes.delete(key);
    this.#unlink(node);
    return true;
  }

  /** The least recently set key. */
  oldest(): K | undefined {
    return this.#oldest?.key;
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
