import { describe, expect, it } from 'vitest';
import { ndcgOfPositions } from './hybrid';
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
