// Fair exposure: a member's ranked threads re-ranked by maximal marginal relevance, so a few
// authors do not take a whole list. Pure and model-agnostic: it reads only the model's order.
//
// Each pick maximises (1 − λ)·relevance − λ·(similarity to the closest thread already picked).
// Relevance is the model's position, −rank / REACH: the blend's and the feed ranker's scores live
// on different scales (the app's list joins both), and a position means the same in either. With
// a same-author similarity of 1, a thread moves up past a better ranked one by an author already
// shown when it lies fewer than REACH·λ/(1 − λ) places below it: about 4 places at λ = 0.3, 15
// at 0.6, none at 0 — a reach a creator can be told in plain words. Similarity is 1 for a thread
// by an author already in the list, and otherwise what `similarity` says (content, say), 0 without.

import type { DiversitySetting } from '../../src/lib/domain/record';

/** The trade-off λ ∈ [0, 1] of each of the creator's diversity settings (the eval:recs rows show each one's effect). */
export const DIVERSITY_LAMBDA: Readonly<Record<DiversitySetting, number>> = { off: 0, some: 0.3, more: 0.6 };

/** How many of the model's top threads the re-ranking chooses from, per thread it returns. */
export const DIVERSITY_POOL = 3;

export interface DiversifyOptions<T> {
  /** 0: the model's order exactly; 1: relevance ignored while anything dissimilar is left. */
  lambda: number;
  /** How many to return (default: all). */
  k?: number;
  authorOf(x: T): string | number;
  /** Extra similarity in [0, 1] between two threads (e.g. content); same author always counts as 1. */
  similarity?(a: T, b: T): number;
}

/** Places of the model's order worth one unit of similarity when λ = 0.5: ten, one list's length. */
export const REACH = 10;

/** The relevance of the model's position `rank` (0-based). */
export function rankRelevance(rank: number): number {
  return -rank / REACH;
}

/**
 * `ranked` (the model's order, best first) re-ranked by maximal marginal relevance. Ties go to
 * the model's order, so λ = 0 returns it unchanged.
 */
export function diversify<T>(ranked: readonly T[], options: DiversifyOptions<T>): T[] {
  const { lambda } = options;
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must be in [0, 1], not ${lambda}`);
  const k = Math.min(options.k ?? ranked.length, ranked.length);
  if (lambda === 0) return ranked.slice(0, k);
  const left = Array.from(ranked.keys());
  // Each candidate's similarity to the closest thread picked so far, updated after every pick.
  const closest = new Float64Array(ranked.length);
  const authors = new Set<string | number>();
  const out: T[] = [];
  while (out.length < k) {
    let best = -1;
    let bestValue = -Infinity;
    for (let n = 0; n < left.length; n++) {
      const r = left[n];
      const value = (1 - lambda) * rankRelevance(r) - lambda * closest[r];
      if (value > bestValue + 1e-12) [best, bestValue] = [n, value];
    }
    const [picked] = left.splice(best, 1);
    const item = ranked[picked];
    out.push(item);
    authors.add(options.authorOf(item));
    for (const r of left) {
      const sim = authors.has(options.authorOf(ranked[r])) ? 1 : (options.similarity?.(ranked[r], item) ?? 0);
      if (sim > closest[r]) closest[r] = sim;
    }
  }
  return out;
}

/** The evaluation's name of `model` re-ranked at λ: `hybrid+diversity(0.3)`. */
export function diversityModel(model: string, lambda: number): string {
  return `${model}+diversity(${lambda})`;
}
