// The implicit-feedback matrix member × item that every recommender trains on, stored sparse
// (compressed rows and columns), with the time of each member's latest interaction per item.
// Members and items are dense indices; the caller keeps the mapping to member ids and thread ids.

export interface Interaction {
  member: number;
  item: number;
  /** Strength of the signal (authored > replied > reacted > viewed); summed over repeats. */
  weight: number;
  ts: number;
}

export class Feedback {
  /** Row pointers: member u's items are itemIdx[rowPtr[u] .. rowPtr[u+1]), sorted. */
  readonly rowPtr: Int32Array;
  readonly itemIdx: Int32Array;
  readonly weight: Float64Array;
  /** Latest interaction time of each (member, item) pair, in the same order as itemIdx. */
  readonly time: Float64Array;
  /** Column pointers: item i's members are memberIdx[colPtr[i] .. colPtr[i+1]), sorted. */
  readonly colPtr: Int32Array;
  readonly memberIdx: Int32Array;
  readonly colWeight: Float64Array;

  constructor(
    readonly members: number,
    readonly items: number,
    interactions: Iterable<Interaction>
  ) {
    const pairs = new Map<number, { w: number; ts: number }>();
    for (const x of interactions) {
      if (x.member < 0 || x.member >= members || x.item < 0 || x.item >= items) throw new Error('interaction out of range');
      const key = x.member * items + x.item;
      const p = pairs.get(key);
      if (p) {
        p.w += x.weight;
        p.ts = Math.max(p.ts, x.ts);
      } else pairs.set(key, { w: x.weight, ts: x.ts });
    }
    const keys = [...pairs.keys()].sort((a, b) => a - b);
    this.rowPtr = new Int32Array(members + 1);
    this.itemIdx = new Int32Array(keys.length);
    this.weight = new Float64Array(keys.length);
    this.time = new Float64Array(keys.length);
    keys.forEach((key, n) => {
      const u = Math.floor(key / items);
      this.rowPtr[u + 1]++;
      this.itemIdx[n] = key - u * items;
      const p = pairs.get(key)!;
      this.weight[n] = p.w;
      this.time[n] = p.ts;
    });
    for (let u = 0; u < members; u++) this.rowPtr[u + 1] += this.rowPtr[u];

    this.colPtr = new Int32Array(items + 1);
    for (let n = 0; n < keys.length; n++) this.colPtr[this.itemIdx[n] + 1]++;
    for (let i = 0; i < items; i++) this.colPtr[i + 1] += this.colPtr[i];
    this.memberIdx = new Int32Array(keys.length);
    this.colWeight = new Float64Array(keys.length);
    const fill = this.colPtr.slice(0, items);
    for (let u = 0; u < members; u++) {
      for (let n = this.rowPtr[u]; n < this.rowPtr[u + 1]; n++) {
        const at = fill[this.itemIdx[n]]++;
        this.memberIdx[at] = u;
        this.colWeight[at] = this.weight[n];
      }
    }
  }

  get nnz(): number {
    return this.itemIdx.length;
  }

  /** The items member u touched. */
  itemsOf(u: number): Int32Array {
    return this.itemIdx.subarray(this.rowPtr[u], this.rowPtr[u + 1]);
  }

  weightsOf(u: number): Float64Array {
    return this.weight.subarray(this.rowPtr[u], this.rowPtr[u + 1]);
  }

  timesOf(u: number): Float64Array {
    return this.time.subarray(this.rowPtr[u], this.rowPtr[u + 1]);
  }

  membersOf(i: number): Int32Array {
    return this.memberIdx.subarray(this.colPtr[i], this.colPtr[i + 1]);
  }

  /** Distinct members per item. */
  itemCounts(): Float64Array {
    const out = new Float64Array(this.items);
    for (let i = 0; i < this.items; i++) out[i] = this.colPtr[i + 1] - this.colPtr[i];
    return out;
  }
}

/** Scores of every item for one member; higher is better. Items the member touched are not masked here. */
export interface Scorer {
  readonly name: string;
  score(member: number): Float64Array;
}

/**
 * The best `k` items by score among `candidates` (all items when null), skipping `exclude`.
 * Ties break by the lower item index, so rankings are deterministic.
 */
export function topK(scores: Float64Array, k: number, exclude: ReadonlySet<number> | Int32Array | null, candidates: Int32Array | null = null): number[] {
  const skip = exclude instanceof Int32Array ? new Set(exclude) : exclude;
  const pool: number[] = [];
  const n = candidates ? candidates.length : scores.length;
  for (let j = 0; j < n; j++) {
    const i = candidates ? candidates[j] : j;
    if (!skip || !skip.has(i)) pool.push(i);
  }
  pool.sort((a, b) => scores[b] - scores[a] || a - b);
  return pool.slice(0, k);
}
