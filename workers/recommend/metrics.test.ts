import { describe, expect, it } from 'vitest';
import { coverage, exposureGini, gini, ndcgAt, recallAt } from './metrics';
import { holdoutSplit, temporalSplit, type Row } from './evaluate';
import { zScores } from './hybrid';

describe('ranking metrics', () => {
  it('NDCG@10 with hits at ranks 1 and 3 of two relevant items', () => {
    // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3).
    expect(ndcgAt([5, 7, 9, 1], new Set([5, 9]), 10)).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3)), 12);
  });

  it('NDCG ignores hits past the cut-off and is 1 for a perfect list', () => {
    expect(ndcgAt([1, 2, 3], new Set([3]), 2)).toBe(0);
    expect(ndcgAt([4, 2, 9], new Set([2, 4]), 10)).toBe(1);
  });

  it('Recall@20 divides by min(20, relevant)', () => {
    const ranked = Array.from({ length: 20 }, (_, i) => i);
    expect(recallAt(ranked, new Set([0, 5, 100]), 20)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked, new Set(Array.from({ length: 40 }, (_, i) => i)), 20)).toBe(1);
  });

  it('coverage counts distinct items of all lists over the candidates', () => {
    expect(
      coverage(
        [
          [1, 2],
          [2, 3]
        ],
        10
      )
    ).toBe(0.3);
  });

  it('z-scores are centred and scaled over the listed items only, and 0 when all are equal', () => {
    const z = zScores(Float64Array.from([1, 100, 3, 5]), Int32Array.from([0, 2, 3]));
    expect(Array.from(z)).toEqual([expect.closeTo(-Math.sqrt(1.5), 12), expect.closeTo(0, 12), expect.closeTo(Math.sqrt(1.5), 12)]);
    expect(Array.from(zScores(Float64Array.from([2, 2]), Int32Array.from([0, 1])))).toEqual([0, 0]);
  });
});

describe('protocols', () => {
  const rows: Row[] = [];
  for (let m = 0; m < 3; m++) for (let i = 0; i < 5 + m * 5; i++) rows.push({ member: m, item: i, ts: i * 1000, weight: 1 });
  rows.push({ member: 3, item: 0, ts: 0, weight: 1 }, { member: 3, item: 1, ts: 1, weight: 1 });

  it('holdout hides 20 % (rounded, at least one) of each member with three or more threads, reproducibly', () => {
    const split = holdoutSplit(rows, 7);
    expect([...split.test.keys()]).toEqual([0, 1, 2]);
    expect([...split.test.values()].map((s) => s.size)).toEqual([1, 2, 3]);
    expect(split.train.length).toBe(rows.length - 6);
    expect(holdoutSplit(rows, 7).test).toEqual(split.test);
  });

  it('temporal trains on the past and ranks only threads created after the cutoff', () => {
    const created = Float64Array.from({ length: 15 }, (_, i) => i * 1000);
    const split = temporalSplit(rows, created, 8000);
    expect(Array.from(split.candidates!)).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(split.train.every((r) => r.ts < 8000)).toBe(true);
    expect(split.test.get(2)).toEqual(new Set([8, 9, 10, 11, 12, 13, 14]));
    expect(split.test.has(3)).toBe(false);
  });
});

describe('exposure across authors', () => {
  it('counts every candidate’s author, shown or not, in the Gini of top-list appearances', () => {
    // Threads 0 and 1 by author 0, 2 by author 1, 3 by author 2; only author 0 is ever shown (3 times).
    const author = Int32Array.from([0, 0, 1, 2]);
    expect(exposureGini([[0, 1], [0]], [0, 1, 2, 3], author)).toBeCloseTo(2 / 3, 12);
    // One appearance each: equal exposure.
    expect(exposureGini([[0], [2], [3]], [0, 1, 2, 3], author)).toBe(0);
    expect(gini([0, 0, 3])).toBeCloseTo(2 / 3, 12);
  });
});
