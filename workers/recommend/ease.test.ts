import { describe, expect, it } from 'vitest';
import { inverse, Matrix } from 'ml-matrix';
import { Feedback } from './feedback';
import { easeInverse, easeWeights, fitEase, spdInverse } from './ease';

const feedback = (rows: number[][]) =>
  new Feedback(
    rows.length,
    rows[0].length,
    rows.flatMap((row, member) => row.flatMap((x, item) => (x ? [{ member, item, weight: x, ts: 0 }] : [])))
  );

describe('EASE', () => {
  it('gives the hand-computed weights for two items that always co-occur', () => {
    // XᵀX = [[2,2],[2,2]], λ = 1: P = (1/5)[[3,−2],[−2,3]], so B₀₁ = −P₀₁/P₁₁ = 2/3.
    const ease = fitEase(
      feedback([
        [1, 1],
        [1, 1]
      ]),
      { lambda: 1 }
    );
    expect(Array.from(ease.weights)).toEqual([0, expect.closeTo(2 / 3, 12), expect.closeTo(2 / 3, 12), 0]);
  });

  it('solves the constrained ridge regression: zero gradient off the diagonal, zero diagonal', () => {
    const rows = [
      [1, 1, 0, 0],
      [1, 1, 1, 0],
      [0, 1, 1, 1],
      [0, 0, 1, 1],
      [1, 0, 0, 1]
    ];
    const x = new Matrix(rows);
    const lambda = 0.7;
    const b = easeWeights(x.transpose().mmul(x), lambda);
    // ∂/∂B of ||X − XB||² + λ||B||² is −2Xᵀ(X − XB) + 2λB; with diag(B) = 0 as the constraint,
    // only the off-diagonal entries must vanish.
    const gradient = x
      .transpose()
      .mmul(x.sub(x.mmul(b)))
      .mul(-1)
      .add(b.clone().mul(lambda));
    for (let i = 0; i < 4; i++) {
      expect(b.get(i, i)).toBe(0);
      for (let j = 0; j < 4; j++) if (i !== j) expect(Math.abs(gradient.get(i, j))).toBeLessThan(1e-10);
    }
  });

  it('scores a member by the items they touched: the co-occurring item comes first', () => {
    const ease = fitEase(
      feedback([
        [1, 1, 0],
        [1, 1, 0],
        [0, 0, 1],
        [1, 0, 0]
      ]),
      { lambda: 0.5 }
    );
    const scores = ease.score(3);
    expect(scores[1]).toBeGreaterThan(scores[2]);
  });
});

describe('EASE inverse', () => {
  const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const sample = (members: number, items: number, density: number, seed: number) => {
    const r = random(seed);
    return Array.from({ length: members }, () => Array.from({ length: items }, () => (r() < density ? 1 + Math.floor(r() * 3) : 0)));
  };
  const reference = (rows: number[][], lambda: number, weighted: boolean) => {
    const x = new Matrix(rows.map((row) => row.map((v) => (v && !weighted ? 1 : v))));
    return inverse(x.transpose().mmul(x).add(Matrix.eye(rows[0].length).mul(lambda)));
  };

  it.each([
    ['Woodbury (fewer multi-thread members than threads)', 12, 40, 0.08],
    ['Cholesky (more members than threads)', 60, 15, 0.3]
  ])('agrees with a general inverse: %s', (_name, members, items, density) => {
    for (const weighted of [false, true]) {
      const rows = sample(members, items, density, members * 7 + items);
      const p = easeInverse(feedback(rows), 3, weighted);
      const ref = reference(rows, 3, weighted);
      for (let i = 0; i < items; i++) for (let j = 0; j < items; j++) expect(p[i * items + j]).toBeCloseTo(ref.get(i, j), 10);
    }
  });

  it('inverts a symmetric positive definite matrix through its Cholesky factor', () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 2, 0.5, 0.6, 0.5, 3]);
    const p = spdInverse(a, 3);
    const ref = inverse(
      new Matrix([
        [4, 2, 0.6],
        [2, 2, 0.5],
        [0.6, 0.5, 3]
      ])
    );
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(p[i * 3 + j]).toBeCloseTo(ref.get(i, j), 12);
  });
});
