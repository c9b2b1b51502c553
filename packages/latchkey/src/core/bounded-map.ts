import { LinkedMap } from "./linked-map.ts";

/**
 * A Map that keeps at most `limit` entries, dropping the oldest insertion first. The request path
 * uses it to remember the results of pure functions of attacker-chosen input (verified token ids,
 * opened seals, User-Agent hashes): a flood of new inputs only evicts, it never grows memory.
 * Kept in a LinkedMap: taking the oldest out of a plain Map costs more the longer the flood runs
 * (see linked-map.ts).
 */
export class BoundedMap<K, V> {
  readonly #entries = new LinkedMap<K, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    const entries = this.#entries;
    if (entries.size >= this.#limit && !entries.has(key)) {
      entries.shift();
    }
    entries.set(key, value);
  }

  get size(): number {
    return this.#entries.size;
  }
}
