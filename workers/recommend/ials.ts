// iALS: implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky
// 2008). Preference p_ui = 1 where the member touched the item, confidence c_ui = 1 + α·w_ui.
// Each half-step solves, for every member (then every item), the weighted ridge regression
//   x_u = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ YᵀC_u p_u
// whose cost grows with the member's own items, not the catalogue: it scales past where EASE's
// cubic inverse stops being affordable.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { Feedback, Scorer } from './feedback';
import { seededRandom } from './random';

export interface IalsOptions {
  factors?: number;
  /** L2 regularisation λ. */
  reg?: number;
  /** Confidence slope α. */
  alpha?: number;
  iterations?: number;
  seed?: string;
  onIteration?: (done: number, total: number) => void;
}

export interface Ials extends Scorer {
  readonly factors: number;
  /** Member factors, row-major members × factors. */
  readonly memberFactors: Float64Array;
  /** Item factors, row-major items × factors. */
  readonly itemFactors: Float64Array;
}

/** Gram matrix FᵀF of a row-major rows × k factor table. */
function gram(f: Float64Array, rows: number, k: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    for (let a = 0; a < k; a++) {
      const fa = f[o + a];
      if (fa === 0) continue;
      for (let b = a; b < k; b++) g[a * k + b] += fa * f[o + b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) g[a * k + b] = g[b * k + a];
  return g;
}

/**
 * One half-step: new factors for every row of `target` given the fixed `other` factors.
 * `ptr`/`idx`/`w` are the sparse rows of the side being solved.
 */
export function solveSide(
  rows: number,
  ptr: Int32Array,
  idx: Int32Array,
  w: Float64Array,
  other: Float64Array,
  otherRows: number,
  k: number,
  reg: number,
  alpha: number,
  target: Float64Array
): void {
  const yty = gram(other, otherRows, k);
  const a = new Matrix(k, k);
  const rhs = new Matrix(k, 1);
  // ml-matrix keeps a Matrix as an array of Float64Array rows; writing them directly avoids k² set() calls per member.
  const aRows = (a as unknown as { data: Float64Array[] }).data;
  const rhsRows = (rhs as unknown as { data: Float64Array[] }).data;
  for (let r = 0; r < rows; r++) {
    const start = ptr[r];
    const end = ptr[r + 1];
    if (start === end) {
      target.fill(0, r * k, (r + 1) * k);
      continue;
    }
    for (let p = 0; p < k; p++) {
      const row = aRows[p];
      for (let q = 0; q < k; q++) row[q] = yty[p * k + q];
      row[p] += reg;
      rhsRows[p][0] = 0;
    }
    for (let n = start; n < end; n++) {
      const c = 1 + alpha * w[n];
      const o = idx[n] * k;
      for (let p = 0; p < k; p++) {
        const yp = other[o + p];
        if (yp === 0) continue;
        const row = aRows[p];
        const s = (c - 1) * yp;
        for (let q = p; q < k; q++) row[q] += s * other[o + q];
        rhsRows[p][0] += c * yp;
      }
    }
    // Filled upper triangle only: the Cholesky check wants exact symmetry, which rounding would break.
    for (let p = 0; p < k; p++) for (let q = 0; q < p; q++) aRows[p][q] = aRows[q][p];
    const x = new CholeskyDecomposition(a).solve(rhs);
    for (let p = 0; p < k; p++) target[r * k + p] = x.get(p, 0);
  }
}

export function fitIals(train: Feedback, options: IalsOptions = {}): Ials {
  const k = options.factors ?? 32;
  const reg = options.reg ?? 0.1;
  const alpha = options.alpha ?? 10;
  const iterations = options.iterations ?? 12;
  const random = seededRandom(options.seed ?? 'ials');
  const m = train.members;
  const n = train.items;
  const x = new Float64Array(m * k);
  const y = new Float64Array(n * k);
  const scale = 0.1 / Math.sqrt(k);
  for (let i = 0; i < y.length; i++) y[i] = (random() - 0.5) * 2 * scale;
  for (let t = 0; t < iterations; t++) {
    solveSide(m, train.rowPtr, train.itemIdx, train.weight, y, n, k, reg, alpha, x);
    solveSide(n, train.colPtr, train.memberIdx, train.colWeight, x, m, k, reg, alpha, y);
    options.onIteration?.(t + 1, iterations);
  }
  return {
    name: 'ials',
    factors: k,
    memberFactors: x,
    itemFactors: y,
    score(member) {
      const out = new Float64Array(n);
      const o = member * k;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += x[o + p] * y[i * k + p];
        out[i] = s;
      }
      return out;
    }
  };
}
