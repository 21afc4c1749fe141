// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the item-item weight matrix B that
// minimises ||X − XB||² + λ||B||² with a zero diagonal has the closed form
//   P = (XᵀX + λI)⁻¹,  B_ij = −P_ij / P_jj (i ≠ j),  B_jj = 0.
// P is the inverse of a symmetric positive definite matrix, so it is computed by a Cholesky
// factorisation on one flat row-major Float64Array (n³/2 multiply-adds in contiguous row loops),
// not a general LU inverse on arrays of rows: on Beer's 1,029 threads that took 6.8 s, 37× numpy.
// When fewer members have two or more threads than there are threads (the usual shape of a young
// community), the Woodbury identity inverts an m×m matrix instead (see `easeInverse`).
import type { Matrix } from 'ml-matrix';
import type { Feedback, Scorer } from './feedback';

export interface EaseOptions {
  lambda?: number;
  /** Use interaction weights instead of 0/1 entries. */
  weighted?: boolean;
}

export interface Ease extends Scorer {
  /** The learned item-item weights, row-major n×n. */
  readonly weights: Float64Array;
}

/**
 * In-place Cholesky factorisation of the symmetric positive definite n×n matrix `a` (row-major,
 * only the lower triangle read): afterwards its lower triangle holds L with A = L·Lᵀ.
 */
export function choleskyInPlace(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('matrix is not positive definite');
        a[ri + i] = Math.sqrt(s);
      } else a[ri + j] = s / a[rj + j];
    }
  }
}

/**
 * The inverse of a symmetric positive definite matrix from its Cholesky factor (lower triangle of
 * `l`): M = L⁻¹ row by row, then A⁻¹ = MᵀM. Returns the full symmetric inverse, row-major.
 */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // M = L⁻¹ (lower): row i = (e_i − Σ_{k<i} L_ik · row k of M) / L_ii.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k];
      if (lik === 0) continue;
      const rk = k * n;
      for (let c = 0; c <= k; c++) m[ri + c] -= lik * m[rk + c];
    }
    m[ri + i] += 1;
    const d = 1 / l[ri + i];
    for (let c = 0; c <= i; c++) m[ri + c] *= d;
  }
  // P = MᵀM: P_ab = Σ_k M_ka M_kb, accumulated into the lower triangle row by row of M.
  const p = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let a = 0; a <= k; a++) {
      const mka = m[rk + a];
      if (mka === 0) continue;
      const ra = a * n;
      for (let b = 0; b <= a; b++) p[ra + b] += mka * m[rk + b];
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) p[b * n + a] = p[a * n + b];
  return p;
}

/** (A)⁻¹ for a symmetric positive definite row-major n×n `a` (left unchanged). */
export function spdInverse(a: Float64Array, n: number): Float64Array {
  const l = a.slice();
  choleskyInPlace(l, n);
  return inverseFromCholesky(l, n);
}

/** B from P: B_ij = −P_ij / P_jj off the diagonal, 0 on it. Overwrites and returns `p`. */
function weightsFromInverse(p: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n);
  for (let j = 0; j < n; j++) inv[j] = 1 / p[j * n + j];
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) p[ri + j] = i === j ? 0 : -p[ri + j] * inv[j];
  }
  return p;
}

/** EASE weights from a Gram matrix given as an ml-matrix (tests and callers that have one). */
export function easeWeights(gram: Matrix, lambda: number): Matrix {
  const n = gram.rows;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] = gram.get(i, j) + (i === j ? lambda : 0);
  const b = weightsFromInverse(spdInverse(g, n), n);
  const out = gram.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.set(i, j, b[i * n + j]);
  return out;
}

/**
 * P = (XᵀX + λI)⁻¹ for the sparse rows of `train`. Rows with one item only add to the diagonal
 * (D = λI + their squares); the other m rows form X₂. When m < n, Woodbury gives
 *   P = D⁻¹ − D⁻¹X₂ᵀ (I + X₂D⁻¹X₂ᵀ)⁻¹ X₂D⁻¹,
 * an m×m inverse plus sparse products, instead of the n×n one.
 */
export function easeInverse(train: Feedback, lambda: number, weighted = false): Float64Array {
  const n = train.items;
  const value = (w: number) => (weighted ? w : 1);
  const diag = new Float64Array(n).fill(lambda);
  const multi: number[] = [];
  for (let u = 0; u < train.members; u++) {
    const items = train.itemsOf(u);
    if (items.length === 1) diag[items[0]] += value(train.weightsOf(u)[0]) ** 2;
    else if (items.length > 1) multi.push(u);
  }
  const m = multi.length;
  if (m < n) {
    // K = I + X₂D⁻¹X₂ᵀ (m×m), from the sparse columns: each item links the multi-item rows holding it.
    const rowOf = new Int32Array(train.members).fill(-1);
    multi.forEach((u, r) => (rowOf[u] = r));
    const k = new Float64Array(m * m);
    for (let r = 0; r < m; r++) k[r * m + r] = 1;
    for (let i = 0; i < n; i++) {
      const holders: number[] = [];
      const values: number[] = [];
      const members = train.membersOf(i);
      for (let a = 0; a < members.length; a++) {
        const r = rowOf[members[a]];
        if (r >= 0) {
          holders.push(r);
          values.push(value(train.colWeight[train.colPtr[i] + a]));
        }
      }
      const d = 1 / diag[i];
      for (let a = 0; a < holders.length; a++) for (let b = 0; b < holders.length; b++) k[holders[a] * m + holders[b]] += values[a] * values[b] * d;
    }
    const kInv = m > 0 ? spdInverse(k, m) : new Float64Array(0);
    // Y = K⁻¹ X₂ D⁻¹ (m×n, dense), then P = D⁻¹ − (D⁻¹X₂ᵀ) Y with X₂ᵀ sparse.
    const y = new Float64Array(m * n);
    for (let r = 0; r < m; r++) {
      const u = multi[r];
      const items = train.itemsOf(u);
      const ws = train.weightsOf(u);
      for (let a = 0; a < items.length; a++) {
        const x = value(ws[a]) / diag[items[a]];
        const col = items[a];
        // Column `col` of X₂D⁻¹ has x at row r: Y[:, col] += K⁻¹[:, r] · x (K⁻¹ symmetric: its row r).
        for (let s = 0; s < m; s++) y[s * n + col] += kInv[r * m + s] * x;
      }
    }
    const p = new Float64Array(n * n);
    for (let i = 0; i < n; i++) p[i * n + i] = 1 / diag[i];
    for (let r = 0; r < m; r++) {
      const u = multi[r];
      const items = train.itemsOf(u);
      const ws = train.weightsOf(u);
      const yr = r * n;
      for (let a = 0; a < items.length; a++) {
        const i = items[a];
        const x = value(ws[a]) / diag[i];
        const pi = i * n;
        for (let j = 0; j < n; j++) p[pi + j] -= x * y[yr + j];
      }
    }
    return p;
  }
  // Dense path: the Gram matrix's lower triangle, then Cholesky.
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) g[i * n + i] = diag[i];
  for (const u of multi) {
    const items = train.itemsOf(u);
    const ws = train.weightsOf(u);
    for (let a = 0; a < items.length; a++) {
      const wa = value(ws[a]);
      const ra = items[a] * n;
      for (let b = 0; b <= a; b++) g[ra + items[b]] += wa * value(ws[b]);
    }
  }
  return spdInverse(g, n);
}

export function fitEase(train: Feedback, options: EaseOptions = {}): Ease {
  const lambda = options.lambda ?? 200;
  const n = train.items;
  const value = (w: number) => (options.weighted ? w : 1);
  const weights = weightsFromInverse(easeInverse(train, lambda, options.weighted), n);
  return {
    name: 'ease',
    weights,
    score(member) {
      const out = new Float64Array(n);
      const items = train.itemsOf(member);
      const ws = train.weightsOf(member);
      items.forEach((i, a) => {
        const w = value(ws[a]);
        const row = weights.subarray(i * n, (i + 1) * n);
        for (let j = 0; j < n; j++) out[j] += w * row[j];
      });
      return out;
    }
  };
}
