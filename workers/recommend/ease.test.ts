import { describe, expect, it } from 'vitest';
import { Matrix } from 'ml-matrix';
import { Feedback } from './feedback';
import { easeWeights, fitEase } from './ease';

const feedback = (rows: number[][]) =>
  new Feedback(
    rows.length,
    rows[0].length,
    rows.flatMap((row, member) => row.flatMap((x, item) => (x ? [{ member, item, weight: x, ts: 0 }] : [])))
  );

describe('EASE', () => {
  it('gives the hand-computed weights for two items that always co-occur', () => {
    // XᵀX = [[2,2],[2,2]], λ = 1: P = (1/5)[[3,−2],[−2,3]], so B₀₁ = −P₀₁/P₁₁ = 2/3.
    const ease = fitEase(feedback([[1, 1], [1, 1]]), { lambda: 1 });
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
    const gradient = x.transpose().mmul(x.sub(x.mmul(b))).mul(-1).add(b.clone().mul(lambda));
    for (let i = 0; i < 4; i++) {
      expect(b.get(i, i)).toBe(0);
      for (let j = 0; j < 4; j++) if (i !== j) expect(Math.abs(gradient.get(i, j))).toBeLessThan(1e-10);
    }
  });

  it('scores a member by the items they touched: the co-occurring item comes first', () => {
    const ease = fitEase(feedback([[1, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0]]), { lambda: 0.5 });
    const scores = ease.score(3);
    expect(scores[1]).toBeGreaterThan(scores[2]);
  });
});
