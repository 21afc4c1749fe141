// The hybrid ranking: each component's scores are z-scored over the member's candidate items and
// blended with weights. The weights are tuned on a validation split made inside the training data
// only (the caller decides how: the same protocol one level down), by coordinate ascent on NDCG@10.
import { topK, type Scorer } from './feedback';

/** z-scores of `scores` over the listed items (0 everywhere when they do not vary). */
export function zScores(scores: Float64Array, items: Int32Array): Float64Array {
  let mean = 0;
  for (const i of items) mean += scores[i];
  mean /= items.length || 1;
  let variance = 0;
  for (const i of items) variance += (scores[i] - mean) ** 2;
  const sd = Math.sqrt(variance / (items.length || 1));
  const out = new Float64Array(items.length);
  if (sd > 1e-12) items.forEach((i, a) => (out[a] = (scores[i] - mean) / sd));
  return out;
}

export interface BlendContext {
  /** Items that may be recommended (null: all). */
  candidates: Int32Array | null;
  /** Items each member already touched: never recommended. */
  seen(member: number): Int32Array;
}

export interface Contribution {
  component: string;
  /** weight × z-score: how much this component lifted (or lowered) the item. */
  value: number;
}

export interface Hybrid extends Scorer {
  readonly weights: Readonly<Record<string, number>>;
  /** Ranked items with each component's share, for explanations. */
  rank(member: number, k: number): { item: number; score: number; parts: Contribution[] }[];
}

function poolOf(n: number, ctx: BlendContext, member: number): Int32Array {
  const seen = new Set(ctx.seen(member));
  const base = ctx.candidates ?? Int32Array.from({ length: n }, (_, i) => i);
  return base.filter((i) => !seen.has(i));
}

export function blend(components: Scorer[], weights: Record<string, number>, items: number, ctx: BlendContext): Hybrid {
  const active = components.filter((c) => (weights[c.name] ?? 0) !== 0);
  const parts = (member: number) => {
    const pool = poolOf(items, ctx, member);
    const z = active.map((c) => zScores(c.score(member), pool));
    return { pool, z };
  };
  return {
    name: 'hybrid',
    weights,
    score(member) {
      const { pool, z } = parts(member);
      // Items outside the pool rank below every pool item.
      const out = new Float64Array(items).fill(-1e9);
      pool.forEach((i, a) => {
        let s = 0;
        active.forEach((c, b) => (s += weights[c.name] * z[b][a]));
        out[i] = s;
      });
      return out;
    },
    rank(member, k) {
      const { pool, z } = parts(member);
      const total = new Float64Array(items).fill(-1e9);
      pool.forEach((i, a) => {
        let s = 0;
        active.forEach((c, b) => (s += weights[c.name] * z[b][a]));
        total[i] = s;
      });
      const position = new Map(Array.from(pool, (i, a) => [i, a]));
      return topK(total, k, null, pool).map((item) => ({
        item,
        score: total[item],
        parts: active.map((c, b) => ({ component: c.name, value: weights[c.name] * z[b][position.get(item)!] }))
      }));
    }
  };
}

export interface ValidationCase {
  member: number;
  relevant: Set<number>;
  pool: Int32Array;
  /** z-scores per component over the pool. */
  z: Float64Array[];
}

/** Precomputes what tuning needs: each validation member's z-scored components. */
export function validationCases(components: Scorer[], items: number, ctx: BlendContext, test: Map<number, Set<number>>): ValidationCase[] {
  const cases: ValidationCase[] = [];
  for (const [member, relevant] of test) {
    const pool = poolOf(items, ctx, member);
    const rel = new Set([...relevant].filter((i) => pool.includes(i)));
    if (rel.size === 0) continue;
    cases.push({ member, relevant: rel, pool, z: components.map((c) => zScores(c.score(member), pool)) });
  }
  return cases;
}

/**
 * The tuning objective: mean NDCG@10 over the validation members. (The mean of NDCG@10 and
 * Recall@20 was tried too: it bought recall with NDCG on the temporal protocol.)
 */
function objective(cases: ValidationCase[], w: number[]): number {
  let sum = 0;
  for (const c of cases) sum += ndcgOfPositions(blended(c, w), c.pool, relevantPositions(c));
  return cases.length ? sum / cases.length : 0;
}

/** Σ_b w_b · z_b over one case's pool. */
function blended(c: ValidationCase, w: readonly number[]): Float64Array {
  const s = new Float64Array(c.pool.length);
  w.forEach((wb, b) => {
    if (wb === 0) return;
    const z = c.z[b];
    for (let a = 0; a < s.length; a++) s[a] += wb * z[a];
  });
  return s;
}

/**
 * The objective of `w` with component b moved by `delta`, from each case's blend at `w` (sums):
 * one component's column per case instead of all of them, which made tuning most of a holdout run.
 */
function objectiveMoved(cases: ValidationCase[], sums: Float64Array[], b: number, delta: number, scratch: Float64Array): number {
  let sum = 0;
  cases.forEach((c, n) => {
    const base = sums[n];
    const z = c.z[b];
    const s = scratch.subarray(0, base.length);
    for (let a = 0; a < s.length; a++) s[a] = base[a] + delta * z[a];
    sum += ndcgOfPositions(s, c.pool, relevantPositions(c));
  });
  return cases.length ? sum / cases.length : 0;
}

const positions = new WeakMap<ValidationCase, number[]>();
function relevantPositions(c: ValidationCase): number[] {
  let p = positions.get(c);
  if (!p) positions.set(c, (p = Array.from(c.pool.keys()).filter((a) => c.relevant.has(c.pool[a]))));
  return p;
}

/**
 * NDCG@10 of the ranking of `pool` by `s` (descending, ties by item ascending) without sorting:
 * a relevant item's rank is the number of items that beat it. Tuning evaluates thousands of
 * weight vectors over every validation member's whole catalogue, and a full sort per member was
 * nine tenths of a holdout run; with one or two relevant items per member this is linear.
 */
export function ndcgOfPositions(s: Float64Array, pool: Int32Array, relevant: readonly number[]): number {
  let dcg = 0;
  for (const r of relevant) {
    const sr = s[r];
    let rank = 0;
    for (let a = 0; a < s.length && rank < 10; a++) if (s[a] > sr || (s[a] === sr && pool[a] < pool[r])) rank++;
    if (rank < 10) dcg += 1 / Math.log2(rank + 2);
  }
  let ideal = 0;
  for (let r = 0; r < Math.min(10, relevant.length); r++) ideal += 1 / Math.log2(r + 2);
  return ideal ? dcg / ideal : 0;
}

const GRID = [0, 0.1, 0.25, 0.5, 1, 2];

/** Coordinate ascent over a small grid of weights, starting from the best single component. */
export function tuneWeights(names: string[], cases: ValidationCase[], passes = 4): { weights: Record<string, number>; objective: number } {
  let best = names.map(() => 0);
  let bestScore = -1;
  // A component that is constant on every validation pool ranks nothing: leave it out, or the
  // candidates' index order (its tie-break) would pass for a model and block the blend.
  const varies = names.map((_, b) => cases.some((c) => c.z[b].some((x) => x !== 0)));
  names.forEach((_, b) => {
    if (!varies[b]) return;
    const w = names.map((__, a) => (a === b ? 1 : 0));
    const s = objective(cases, w);
    if (s > bestScore) [best, bestScore] = [w, s];
  });
  let sums = cases.map((c) => blended(c, best));
  const scratch = new Float64Array(Math.max(0, ...cases.map((c) => c.pool.length)));
  for (let pass = 0; pass < passes; pass++) {
    let improved = false;
    for (let b = 0; b < names.length; b++) {
      if (!varies[b]) continue;
      const from = best[b];
      for (const g of GRID) {
        if (g === best[b]) continue;
        const w = [...best];
        w[b] = g;
        if (w.every((x) => x === 0)) continue;
        const s = objectiveMoved(cases, sums, b, g - from, scratch);
        if (s > bestScore + 1e-9) {
          [best, bestScore] = [w, s];
          improved = true;
        }
      }
      if (best[b] !== from) sums = cases.map((c) => blended(c, best));
    }
    if (!improved) break;
  }
  return { weights: Object.fromEntries(names.map((n, b) => [n, best[b]])), objective: bestScore };
}
