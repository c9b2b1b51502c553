// A Map whose order is kept in a linked list instead of in the Map itself, so that taking the
// oldest entry and moving an entry to the back are O(1) however many entries there are.
//
// V8's Map cannot be used as a queue or an LRU at scale: a deleted entry stays in its table as a
// hole until the table is rebuilt. Taking the oldest with `keys().next()` walks every hole left at
// the front, and deleting then re-adding one key (to move it to the back) chains a hole per
// move into that key's bucket, which every later lookup of the key walks. Both grow with the size
// of the Map: measured on Node 20 with 100,000 entries, a dequeue went from 16 to 130 µs and a
// move of one hot key from 38 to 225 µs within 100,000 operations (1–3 µs with 1,000 entries),
// and the memory store's read CPU per request went from 62 to 156 µs between 10³ and 10⁵
// sessions. Here the Map is only ever looked up: moves relink list nodes and never touch it.

interface Node<K, V> {
  readonly key: K;
  value: V;
  older: Node<K, V> | undefined;
  newer: Node<K, V> | undefined;
}

/** One entry as the map holds it: read it, do not keep it past the next change. */
export interface LinkedEntry<K, V> {
  readonly key: K;
  readonly value: V;
}

export class LinkedMap<K, V> {
  readonly #nodes = new Map<K, Node<K, V>>();
  #oldest: Node<K, V> | undefined;
  #newest: Node<K, V> | undefined;

  get size(): number {
    return this.#nodes.size;
  }

  get(key: K): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  has(key: K): boolean {
    return this.#nodes.has(key);
  }

  /** Like Map.set: a new key goes to the back, an existing one keeps its place. */
  set(key: K, value: V): void {
    const node = this.#nodes.get(key);
    if (node === undefined) this.#append(key, value);
    else node.value = value;
  }

  /** Sets `key` and makes it the newest entry, whether it was there or not. */
  setNewest(key: K, value: V): void {
    const node = this.#nodes.get(key);
    if (node === undefined) {
      this.#append(key, value);
      return;
    }
    node.value = value;
    this.#moveToBack(node);
  }

  /** Makes `key` the newest entry; its value, or undefined when it is not there. */
  touch(key: K): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#moveToBack(node);
    return node.value;
  }

  /** Removes `key`; its value, or undefined when it was not there. */
  delete(key: K): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#nodes.delete(key);
    this.#unlink(node);
    return node.value;
  }

  /** The oldest entry (first set, or least recently moved to the back). */
  oldest(): LinkedEntry<K, V> | undefined {
    return this.#oldest;
  }

  /** Removes and returns the oldest entry. */
  shift(): LinkedEntry<K, V> | undefined {
    const node = this.#oldest;
    if (node === undefined) return undefined;
    this.#nodes.delete(node.key);
    this.#unlink(node);
    return node;
  }

  /** Entries oldest first. Deleting the entry just yielded is safe; other changes are not. */
  *entries(): IterableIterator<LinkedEntry<K, V>> {
    let node = this.#oldest;
    while (node !== undefined) {
      const newer = node.newer;
      yield node;
      node = newer;
    }
  }

  clear(): void {
    this.#nodes.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  #append(key: K, value: V): void {
    const node: Node<K, V> = { key, value, older: this.#newest, newer: undefined };
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
    this.#nodes.set(key, node);
  }

  #moveToBack(node: Node<K, V>): void {
    if (node === this.#newest) return;
    this.#unlink(node);
    node.older = this.#newest;
    node.newer = undefined;
    (this.#newest as Node<K, V>).newer = node;
    this.#newest = node;
  }

  #unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
  }
}
