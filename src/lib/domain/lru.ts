// A map that forgets its least recently used entries past a budget. A Map keeps insertion order, so
// an entry read is moved to the end and the oldest are the first ones iterated.

export class Lru<K, V> {
  #entries = new Map<K, V>();
  #size = 0;

  /** `sizeOf`: an entry's share of `budget` (1 each by default: a budget of entries). */
  constructor(
    readonly budget: number,
    readonly sizeOf: (key: K, value: V) => number = () => 1
  ) {}

  /** The value kept for `key`, now the most recently used; undefined when none is kept. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Keeps `value` under `key`, forgetting the least recently used past the budget; a value larger than the whole budget is not kept. */
  set(key: K, value: V): void {
    const size = this.sizeOf(key, value);
    if (size > this.budget) return;
    const before = this.#entries.get(key);
    if (before !== undefined) {
      this.#entries.delete(key);
      this.#size -= this.sizeOf(key, before);
    }
    this.#entries.set(key, value);
    this.#size += size;
    for (const [oldest, kept] of this.#entries) {
      if (this.#size <= this.budget) break;
      this.#entries.delete(oldest);
      this.#size -= this.sizeOf(oldest, kept);
    }
  }

  get count(): number {
    return this.#entries.size;
  }
}
