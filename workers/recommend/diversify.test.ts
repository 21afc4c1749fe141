import { describe, expect, it } from 'vitest';
import { DIVERSITY_LAMBDA, diversify, diversityModel, rankRelevance } from './diversify';

// Threads named by author letter and the author's n-th thread: 'a1' is author a's best-ranked.
const authorOf = (x: string) => x[0];

describe('diversify (maximal marginal relevance)', () => {
  const ranked = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'];

  it('keeps the model’s order exactly at lambda 0', () => {
    expect(diversify(ranked, { lambda: 0, authorOf })).toEqual(ranked);
    expect(diversify(ranked, { lambda: 0, k: 4, authorOf })).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('interleaves authors at a high lambda, each author’s threads in the model’s order', () => {
    // λ = 0.6: a repeated author costs 0.6, more than 0.4 × the relevance of 5 places (0.5), so
    // every new author comes before any second thread.
    expect(diversify(ranked, { lambda: 0.6, authorOf })).toEqual(['a1', 'b1', 'c1', 'a2', 'a3', 'b2']);
    expect(diversify(ranked, { lambda: 0.6, k: 3, authorOf })).toEqual(['a1', 'b1', 'c1']);
  });

  it('moves a new author up only as far as lambda reaches', () => {
    // b1 is 6th of 7 (rank 6); a repeated author costs λ, a place (1 − λ) / 10.
    // λ = 0.3, 2nd pick: a2 (rank 1) −0.07 − 0.3 = −0.37 beats b1 −0.42; 3rd: a3 −0.14 − 0.3 = −0.44
    // loses to b1: b1 moves up four places. λ = 0.6, 2nd pick: a2 −0.04 − 0.6 = −0.64 loses to b1 −0.24.
    const list = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1'];
    expect(rankRelevance(6)).toBeCloseTo(-0.6, 12);
    expect(diversify(list, { lambda: 0.3, authorOf })).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5', 'a6']);
    expect(diversify(list, { lambda: 0.6, authorOf })).toEqual(['a1', 'b1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    // λ = 0.05: 10 × 0.05 / 0.95 = 0.53 places of reach, not even one: the model's order.
    expect(diversify(['a1', 'a2', 'b1'], { lambda: 0.05, authorOf })).toEqual(['a1', 'a2', 'b1']);
  });

  it('counts content similarity to a picked thread as redundancy too', () => {
    // b1 is 0.9 similar to a1: −0.07 − 0.3 × 0.9 = −0.34 < c1's −0.14.
    const similarity = (x: string, y: string) => ([x, y].sort().join() === 'a1,b1' ? 0.9 : 0);
    expect(diversify(['a1', 'b1', 'c1'], { lambda: 0.3, authorOf, similarity })).toEqual(['a1', 'c1', 'b1']);
    expect(diversify(['a1', 'b1', 'c1'], { lambda: 0.3, authorOf })).toEqual(['a1', 'b1', 'c1']);
  });

  it('refuses a lambda outside [0, 1] and maps the settings to rising lambdas from 0', () => {
    expect(() => diversify(ranked, { lambda: 1.5, authorOf })).toThrow(RangeError);
    expect(() => diversify(ranked, { lambda: Number.NaN, authorOf })).toThrow(RangeError);
    expect(DIVERSITY_LAMBDA.off).toBe(0);
    expect(DIVERSITY_LAMBDA.some).toBeLessThan(DIVERSITY_LAMBDA.more);
    expect(diversityModel('hybrid', 0.3)).toBe('hybrid+diversity(0.3)');
  });
});
