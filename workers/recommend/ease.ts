// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the item-item weight matrix B that
// minimises ||X − XB||² + λ||B||² with a zero diagonal has the closed form
//   P = (XᵀX + λI)⁻¹,  B_ij = −P_ij / P_jj (i ≠ j),  B_jj = 0.
// Cost is one n×n inverse (n = items): cubic, so it is used while the catalogue is small.
import { inverse, Matrix } from 'ml-matrix';
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

export function easeWeights(gram: Matrix, lambda: number): Matrix {
  const n = gram.rows;
  const g = gram.clone();
  for (let i = 0; i < n; i++) g.set(i, i, g.get(i, i) + lambda);
  const p = inverse(g);
  const b = new Matrix(n, n);
  for (let j = 0; j < n; j++) {
    const pjj = p.get(j, j);
    for (let i = 0; i < n; i++) b.set(i, j, i === j ? 0 : -p.get(i, j) / pjj);
  }
  return b;
}

export function fitEase(train: Feedback, options: EaseOptions = {}): Ease {
  const lambda = options.lambda ?? 200;
  const n = train.items;
  const value = (w: number) => (options.weighted ? w : 1);
  // Gram matrix XᵀX from the sparse rows.
  const gram = new Matrix(n, n);
  const rows = (gram as unknown as { data: Float64Array[] }).data;
  for (let u = 0; u < train.members; u++) {
    const items = train.itemsOf(u);
    const ws = train.weightsOf(u);
    for (let a = 0; a < items.length; a++) {
      const row = rows[items[a]];
      const wa = value(ws[a]);
      for (let b = 0; b < items.length; b++) row[items[b]] += wa * value(ws[b]);
    }
  }
  const b = easeWeights(gram, lambda);
  const weights = new Float64Array(n * n);
  for (let i = 0; i < n; i++) weights.set(b.getRow(i), i * n);
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
