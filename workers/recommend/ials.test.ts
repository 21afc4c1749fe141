import { describe, expect, it } from 'vitest';
import { Matrix, solve } from 'ml-matrix';
import { Feedback } from './feedback';
import { fitIals, solveSide } from './ials';

function feedback(rows: number[][]) {
  return new Feedback(
    rows.length,
    rows[0].length,
    rows.flatMap((row, member) => row.flatMap((x, item) => (x ? [{ member, item, weight: x, ts: 0 }] : [])))
  );
}

describe('iALS', () => {
  it('reconstructs a block matrix with two factors, uniform confidence and little regularisation', () => {
    const p = [
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
      [0, 0, 1, 1]
    ];
    const model = fitIals(feedback(p), { factors: 2, reg: 1e-4, alpha: 0, iterations: 30, seed: 'block' });
    for (let u = 0; u < 4; u++) {
      const s = model.score(u);
      for (let i = 0; i < 4; i++) expect(s[i]).toBeCloseTo(p[u][i], 2);
    }
  });

  it('solves each member exactly: x = (YᵀCY + λI)⁻¹ YᵀCp, checked against ml-matrix on the dense formula', () => {
    const weights = [
      [2, 0, 1],
      [0, 3, 0]
    ];
    const f = feedback(weights);
    const k = 2;
    const y = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4, 0.6]);
    const x = new Float64Array(2 * k);
    const reg = 0.5;
    const alpha = 4;
    solveSide(2, f.rowPtr, f.itemIdx, f.weight, y, 3, k, reg, alpha, x);
    const Y = new Matrix([
      [0.3, -0.2],
      [0.5, 0.1],
      [-0.4, 0.6]
    ]);
    for (let u = 0; u < 2; u++) {
      const c = Matrix.diag(weights[u].map((w) => 1 + alpha * w));
      const pu = Matrix.columnVector(weights[u].map((w) => (w > 0 ? 1 : 0)));
      const a = Y.transpose().mmul(c).mmul(Y).add(Matrix.eye(k).mul(reg));
      const expected = solve(a, Y.transpose().mmul(c).mmul(pu));
      expect(x[u * k]).toBeCloseTo(expected.get(0, 0), 12);
      expect(x[u * k + 1]).toBeCloseTo(expected.get(1, 0), 12);
    }
  });

  it('ranks the item that members like this one touched above an unrelated one', () => {
    const model = fitIals(
      feedback([
        [1, 1, 1, 0, 0],
        [1, 1, 1, 0, 0],
        [0, 0, 0, 1, 1],
        [1, 1, 0, 0, 0]
      ]),
      { factors: 2, iterations: 15, seed: 't' }
    );
    const s = model.score(3);
    expect(s[2]).toBeGreaterThan(s[3]);
    expect(s[2]).toBeGreaterThan(s[4]);
  });
});
