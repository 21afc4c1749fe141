import { describe, expect, it } from 'vitest';
import { ndcgOfPositions, tuneWeights, type ValidationCase } from './hybrid';
import { ndcgAt } from './metrics';
import { seededRandom } from './random';

describe('hybrid tuning objective', () => {
  it('scores NDCG@10 without sorting exactly as ranking the whole pool would, ties by item ascending', () => {
    const random = seededRandom('objective');
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 40);
      const pool = Int32Array.from({ length: n }, (_, a) => 3 * a + 1);
      // Coarse scores, so ties are common.
      const s = Float64Array.from({ length: n }, () => Math.floor(random() * 5));
      const relevant = Array.from(pool.keys()).filter(() => random() < 0.15);
      const ranked = Array.from(pool.keys())
        .sort((a, b) => s[b] - s[a] || pool[a] - pool[b])
        .slice(0, 10)
        .map((a) => pool[a]);
      const expected = ndcgAt(ranked, new Set(relevant.map((a) => pool[a])), 10);
      expect(ndcgOfPositions(s, pool, relevant)).toBeCloseTo(expected, 12);
    }
  });
});

describe('hybrid weight tuning', () => {
  // The definition: coordinate ascent that re-blends every component for each weight vector tried.
  function tuneByDefinition(names: string[], cases: ValidationCase[]): number[] {
    const grid = [0, 0.1, 0.25, 0.5, 1, 2];
    const score = (w: number[]) =>
      cases.reduce((sum, c) => {
        const s = Float64Array.from(c.pool, (_i, a) => w.reduce((x, wb, b) => x + wb * c.z[b][a], 0));
        return (
          sum +
          ndcgOfPositions(
            s,
            c.pool,
            Array.from(c.pool.keys()).filter((a) => c.relevant.has(c.pool[a]))
          )
        );
      }, 0) / cases.length;
    let best = names.map(() => 0);
    let bestScore = -1;
    names.forEach((_, b) => {
      const w = names.map((__, a) => (a === b ? 1 : 0));
      const s = score(w);
      if (s > bestScore) [best, bestScore] = [w, s];
    });
    for (let pass = 0; pass < 4; pass++) {
      let improved = false;
      for (let b = 0; b < names.length; b++)
        for (const g of grid) {
          if (g === best[b]) continue;
          const w = [...best];
          w[b] = g;
          if (w.every((x) => x === 0)) continue;
          const s = score(w);
          if (s > bestScore + 1e-9) [best, bestScore, improved] = [w, s, true];
        }
      if (!improved) break;
    }
    return best;
  }

  it('moves one component at a time from the current blend and lands on the weights of the definition', () => {
    const random = seededRandom('tuning');
    const names = ['a', 'b', 'c', 'd'];
    for (let trial = 0; trial < 10; trial++) {
      const cases: ValidationCase[] = Array.from({ length: 25 }, (_, member) => {
        const n = 30;
        const pool = Int32Array.from({ length: n }, (_i, a) => a);
        const relevant = new Set([Math.floor(random() * n), Math.floor(random() * n)]);
        // Component a and c carry signal about the relevant items, b and d are noise.
        const z = names.map((_name, b) => Float64Array.from(pool, (i) => random() + (b % 2 === 0 && relevant.has(i) ? 0.4 + b * 0.1 : 0)));
        return { member, relevant, pool, z };
      });
      const tuned = tuneWeights(names, cases);
      expect(names.map((n) => tuned.weights[n])).toEqual(tuneByDefinition(names, cases));
    }
  });
});
