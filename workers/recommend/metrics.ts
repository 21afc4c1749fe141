// Offline ranking metrics, as EVALUATION.md defines them: binary relevance, log2 discount.

/** NDCG@k: DCG of the ranking over the DCG of an ideal one with min(k, |relevant|) hits. */
export function ndcgAt(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r])) dcg += 1 / Math.log2(r + 2);
  let ideal = 0;
  for (let r = 0; r < Math.min(k, relevant.size); r++) ideal += 1 / Math.log2(r + 2);
  return dcg / ideal;
}

/** Recall@k: hits in the top k over min(k, |relevant|), so a perfect list scores 1 however many are relevant. */
export function recallAt(ranked: readonly number[], relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r])) hits++;
  return hits / Math.min(k, relevant.size);
}

/** Catalogue coverage: distinct items in all top lists over the number of candidate items. */
export function coverage(lists: Iterable<readonly number[]>, candidates: number): number {
  const seen = new Set<number>();
  for (const list of lists) for (const i of list) seen.add(i);
  return candidates === 0 ? 0 : seen.size / candidates;
}

/** Gini coefficient of non-negative values (0: equal, → 1: one takes all). */
export function gini(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const sum = v.reduce((a, b) => a + b, 0);
  if (n === 0 || sum === 0) return 0;
  let s = 0;
  v.forEach((x, i) => (s += (2 * (i + 1) - n - 1) * x));
  return s / (n * sum);
}

/**
 * Gini of exposure across authors: each appearance of a thread in a top list is one unit of
 * attention to its author. Every author of a candidate thread counts, with 0 when never shown,
 * so a model that shows only a few of the authors who could have been shown scores high.
 */
export function exposureGini(lists: Iterable<readonly number[]>, candidates: Iterable<number>, author: ArrayLike<number>): number {
  const exposure = new Map<number, number>();
  for (const i of candidates) exposure.set(author[i], 0);
  for (const list of lists) for (const i of list) exposure.set(author[i], (exposure.get(author[i]) ?? 0) + 1);
  return gini([...exposure.values()]);
}
