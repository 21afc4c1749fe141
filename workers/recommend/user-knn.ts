// Member-based neighbours: members who took part in the same threads as u (cosine of their binary
// rows) vouch for the threads they touched. On a small community, where most threads have few
// members, the people one meets carry more than the item-item co-occurrences EASE and item-kNN see.
import type { Feedback, Scorer } from './feedback';

export function fitUserKnn(train: Feedback, options: { k?: number } = {}): Scorer {
  const k = options.k ?? 30;
  return {
    name: 'user-knn',
    score(member) {
      const out = new Float64Array(train.items);
      const mine = train.itemsOf(member);
      if (!mine.length) return out;
      const overlap = new Map<number, number>();
      for (const i of mine) for (const v of train.membersOf(i)) if (v !== member) overlap.set(v, (overlap.get(v) ?? 0) + 1);
      const sims = [...overlap].map(([v, co]) => [v, co / Math.sqrt(mine.length * train.itemsOf(v).length)] as const);
      sims.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      for (const [v, sim] of sims.slice(0, k)) for (const j of train.itemsOf(v)) out[j] += sim;
      return out;
    }
  };
}
