// A learned ranker: pairwise logistic regression (RankNet with a linear scorer). Each list is a
// member's candidates with a feature vector per candidate; every (relevant, not relevant) pair of
// one list gives the difference of their features, and the model learns w with
// P(relevant above other) = σ(w · (x_rel − x_other)). Features are z-scored within each list
// first (as the hand-tuned hybrid does), so a list's constants cancel and weights compare.
// Fitted by Newton's method (a handful of features: the Hessian is tiny), L2-regularised.

export interface RankList {
  /** features[c] = the feature vector of candidate c. */
  features: Float64Array[];
  /** relevant[c]: whether candidate c was touched. */
  relevant: boolean[];
}

/** Within-list z-scores of each feature (population sd; a constant feature becomes 0). */
export function standardise(features: readonly Float64Array[]): Float64Array[] {
  const n = features.length;
  const d = n ? features[0].length : 0;
  const out = features.map(() => new Float64Array(d));
  for (let f = 0; f < d; f++) {
    let mean = 0;
    for (let c = 0; c < n; c++) mean += features[c][f];
    mean /= n;
    let v = 0;
    for (let c = 0; c < n; c++) v += (features[c][f] - mean) ** 2;
    const sd = Math.sqrt(v / n);
    if (sd > 1e-12) for (let c = 0; c < n; c++) out[c][f] = (features[c][f] - mean) / sd;
  }
  return out;
}

/** The pairwise differences of a list (relevant minus not relevant), each weighted 1 / pairs so every list counts once. */
export function pairDifferences(list: RankList, raw = false): { x: Float64Array[]; weight: number } {
  const z = raw ? list.features : standardise(list.features);
  const x: Float64Array[] = [];
  for (let a = 0; a < z.length; a++) {
    if (!list.relevant[a]) continue;
    for (let b = 0; b < z.length; b++) {
      if (list.relevant[b]) continue;
      x.push(z[a].map((v, f) => v - z[b][f]));
    }
  }
  return { x, weight: x.length ? 1 / x.length : 0 };
}

export interface PairwiseModel {
  weights: Float64Array;
  score(features: readonly Float64Array[]): Float64Array;
}

/** Solves the d×d system A x = b (A symmetric positive definite) by Gaussian elimination. */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const d = b.length;
  const m = a.map((row, i) => Float64Array.from([...row, b[i]]));
  for (let i = 0; i < d; i++) {
    let p = i;
    for (let r = i + 1; r < d; r++) if (Math.abs(m[r][i]) > Math.abs(m[p][i])) p = r;
    [m[i], m[p]] = [m[p], m[i]];
    for (let r = i + 1; r < d; r++) {
      const f = m[r][i] / m[i][i];
      for (let c = i; c <= d; c++) m[r][c] -= f * m[i][c];
    }
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = m[i][d];
    for (let c = i + 1; c < d; c++) s -= m[i][c] * x[c];
    x[i] = s / m[i][i];
  }
  return x;
}

/**
 * Fits w on the lists' pairs: minimises Σ_lists (1/pairs) Σ_pairs log(1 + e^{−w·x}) + (l2/2)|w|².
 * `start` warm-starts Newton (the previous step's weights), so refitting each week is cheap.
 */
export function fitPairwise(lists: readonly RankList[], dims: number, options: FitOptions = {}): PairwiseModel {
  return fitPairwiseDifferences(
    lists.map((l) => pairDifferences(l, options.raw)),
    dims,
    options
  );
}

export interface FitOptions {
  l2?: number;
  iterations?: number;
  start?: Float64Array;
  /** Feature columns used (ablations); the others get weight 0. All by default. */
  use?: readonly number[];
  /** Differences of raw features (already on comparable scales) instead of within-list z-scores. */
  raw?: boolean;
}

/** The same fit from differences computed once (a weekly refit reuses every earlier week's). */
export function fitPairwiseDifferences(lists: readonly { x: Float64Array[]; weight: number }[], dims: number, options: FitOptions = {}): PairwiseModel {
  const store = new PairStore(dims);
  for (const list of lists) store.add(list);
  return store.fit(options);
}

/**
 * Pairwise differences of many lists in one flat, growing array: a weekly refit appends one week
 * and fits again, warm-started, without copying the history (copying it per fit and per ablation
 * was most of a rolling evaluation's time, much of it in the garbage collector).
 */
export class PairStore {
  #x: Float64Array;
  #w: Float64Array;
  #n = 0;
  constructor(readonly dims: number) {
    this.#x = new Float64Array(1024 * dims);
    this.#w = new Float64Array(1024);
  }

  get size(): number {
    return this.#n;
  }

  add(list: { x: readonly Float64Array[]; weight: number }, scale = 1): void {
    for (const v of list.x) {
      if (this.#n === this.#w.length) {
        const x = new Float64Array(this.#x.length * 2);
        x.set(this.#x);
        this.#x = x;
        const w = new Float64Array(this.#w.length * 2);
        w.set(this.#w);
        this.#w = w;
      }
      this.#x.set(v, this.#n * this.dims);
      this.#w[this.#n++] = list.weight * scale;
    }
  }

  /** Newton's method on the L2-regularised pairwise logistic loss over the columns in `use`. */
  fit(options: FitOptions = {}): PairwiseModel {
    const dims = this.dims;
    const l2 = options.l2 ?? 1;
    const use = Int32Array.from(options.use ?? Array.from({ length: dims }, (_, f) => f));
    const d = use.length;
    const w = options.start ? Float64Array.from(use, (f) => options.start![f]) : new Float64Array(d);
    const xs = this.#x;
    const ws = this.#w;
    const row = new Float64Array(d);
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let it = 0; it < (options.iterations ?? 8); it++) {
      for (let f = 0; f < d; f++) grad[f] = l2 * w[f];
      hess.fill(0);
      for (let f = 0; f < d; f++) hess[f * d + f] = l2;
      for (let n = 0; n < this.#n; n++) {
        const off = n * dims;
        let s = 0;
        for (let f = 0; f < d; f++) s += w[f] * (row[f] = xs[off + use[f]]);
        const p = 1 / (1 + Math.exp(s)); // σ(−s): the pair's loss gradient factor
        const g = -ws[n] * p;
        const h = ws[n] * p * (1 - p);
        for (let f = 0; f < d; f++) {
          const xf = row[f];
          if (xf === 0) continue;
          grad[f] += g * xf;
          const hx = h * xf;
          // Upper triangle only; mirrored below.
          for (let e = f; e < d; e++) hess[f * d + e] += hx * row[e];
        }
      }
      for (let f = 0; f < d; f++) for (let e = 0; e < f; e++) hess[f * d + e] = hess[e * d + f];
      const step = solve(
        Array.from({ length: d }, (_, f) => hess.subarray(f * d, f * d + d)),
        grad
      );
      let size = 0;
      for (let f = 0; f < d; f++) {
        w[f] -= step[f];
        size += step[f] ** 2;
      }
      if (size < 1e-16) break;
    }
    const weights = new Float64Array(dims);
    use.forEach((f, a) => (weights[f] = w[a]));
    const raw = options.raw ?? false;
    return {
      weights,
      score(features) {
        const z = raw ? features : standardise(features);
        return Float64Array.from(z, (x) => x.reduce((s, v, f) => s + v * weights[f], 0));
      }
    };
  }
}
