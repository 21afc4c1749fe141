// Item-based k-nearest neighbours: cosine similarity between the item columns of the binary
// matrix, each item keeping its k most similar items; a member's score for an item is the sum of
// its similarities to the items the member touched.
import type { Feedback, Scorer } from './feedback';

export interface ItemKnnOptions {
  /** Neighbours kept per item. */
  k?: number;
  /** Shrinks similarities resting on few co-occurrences: sim · co / (co + shrink). */
  shrink?: number;
}

export interface ItemKnn extends Scorer {
  /** The neighbours of an item, most similar first. */
  neighbours(item: number): { item: number; sim: number }[];
}

export function fitItemKnn(train: Feedback, options: ItemKnnOptions = {}): ItemKnn {
  const k = options.k ?? 50;
  const shrink = options.shrink ?? 2;
  const n = train.items;
  const counts = train.itemCounts();
  const lists: { item: number; sim: number }[][] = [];
  const co = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Co-occurrence of i with every other item, through the members who touched i.
    const touched: number[] = [];
    for (const u of train.membersOf(i)) {
      for (const j of train.itemsOf(u)) {
        if (j === i) continue;
        if (co[j] === 0) touched.push(j);
        co[j]++;
      }
    }
    const list = touched.map((j) => {
      const sim = (co[j] / Math.sqrt(counts[i] * counts[j])) * (co[j] / (co[j] + shrink));
      co[j] = 0;
      return { item: j, sim };
    });
    list.sort((a, b) => b.sim - a.sim || a.item - b.item);
    lists.push(list.slice(0, k));
  }
  // Stored transposed: for each item j, the items i that keep j as a neighbour, so scoring walks a member's items only.
  const incoming: { item: number; sim: number }[][] = Array.from({ length: n }, () => []);
  lists.forEach((list, i) => list.forEach(({ item: j, sim }) => incoming[j].push({ item: i, sim })));
  return {
    name: 'item-knn',
    neighbours: (item) => lists[item],
    score(member) {
      const out = new Float64Array(n);
      const items = train.itemsOf(member);
      for (const j of items) for (const { item, sim } of incoming[j]) out[item] += sim;
      return out;
    }
  };
}
