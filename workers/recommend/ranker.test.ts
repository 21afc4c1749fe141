import { describe, expect, it } from 'vitest';
import { fitPairwise, pairDifferences, standardise } from './ranker';

describe('pairwise logistic ranker', () => {
  it('z-scores each feature within a list, a constant feature becoming 0', () => {
    const z = standardise([Float64Array.from([1, 5]), Float64Array.from([3, 5])]);
    expect(Array.from(z[0])).toEqual([-1, 0]);
    expect(Array.from(z[1])).toEqual([1, 0]);
  });

  it('makes one difference per (relevant, other) pair, each list weighing 1 in all', () => {
    const d = pairDifferences({ features: [Float64Array.from([0]), Float64Array.from([1]), Float64Array.from([2])], relevant: [false, false, true] });
    expect(d.x.map((v) => v[0])).toEqual([expect.closeTo(2.449, 3), expect.closeTo(1.225, 3)]);
    expect(d.weight).toBe(0.5);
  });

  it('learns a positive weight for the feature that marks the relevant item and a zero for noise it cannot use', () => {
    const lists = Array.from({ length: 40 }, (_, n) => ({
      features: [0, 1, 2].map((c) => Float64Array.from([c === n % 3 ? 1 : 0, 5])),
      relevant: [0, 1, 2].map((c) => c === n % 3 || (n % 7 === 0 && c === (n + 1) % 3))
    }));
    const model = fitPairwise(lists, 2);
    expect(model.weights[0]).toBeGreaterThan(1);
    expect(model.weights[1]).toBe(0);
    const s = model.score([Float64Array.from([0, 5]), Float64Array.from([1, 5])]);
    expect(s[1]).toBeGreaterThan(s[0]);
  });
});
