import { describe, expect, it } from 'vitest';
import { inverse, Matrix } from 'ml-matrix';
import { TfIdf } from './tfidf';
import { loadSeInteractions } from '../../scripts/data/se-interactions';
import { sharedDataDir } from './se-snapshot';
import {
  evaluateRolling,
  FEATURES,
  FORESIGHT,
  foresightScores,
  gini,
  gramInverseColumn,
  inSampleBound,
  ndcg10,
  ORACLE,
  rankByScore,
  referenceTokens,
  rollingSteps,
  type RollingInput,
  type RollingPair
} from './rolling';
import { pairDifferences } from './ranker';
import { seededRandom } from './random';

const DAY = 86_400_000;

describe('rolling protocol pieces', () => {
  it('breaks score ties by thread id ascending and ranks higher scores first', () => {
    expect(rankByScore(Int32Array.from([2, 5, 7]), [1, 3, 1])).toEqual([5, 2, 7]);
    // Scores equal to 9 decimals tie.
    expect(rankByScore(Int32Array.from([2, 5]), [1, 1 + 1e-12])).toEqual([2, 5]);
  });

  it('scores NDCG@10 with binary gains and a log2 discount', () => {
    expect(ndcg10([1, 2, 3], new Set([2]))).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcg10([2, 1], new Set([1, 2]))).toBe(1);
  });

  it('cuts Latin words and CJK runs into overlapping bigrams, a lone CJK character staying one token', () => {
    expect(referenceTokens('ipa 啤酒花 x 酒 a-b')).toEqual(['ipa', '啤酒', '酒花', '酒', 'a-b']);
  });

  it('solves a column of (XᵀX + λI)⁻¹ by conjugate gradients to the exact inverse', () => {
    const rows = [[0, 1], [1, 2, 3], [0, 3], [2]];
    const x = new Matrix(rows.map((r) => [0, 1, 2, 3].map((i) => (r.includes(i) ? 1 : 0))));
    const exact = inverse(x.transpose().mmul(x).add(Matrix.eye(4).mul(2)));
    const col = gramInverseColumn(rows, 4, 2, 1);
    for (let i = 0; i < 4; i++) expect(col[i]).toBeCloseTo(exact.get(i, 1), 12);
  });

  it('measures exposure inequality: 0 when equal, (n−1)/n when one author takes all', () => {
    expect(gini([3, 3, 3])).toBe(0);
    expect(gini([0, 0, 0, 4])).toBeCloseTo(0.75, 12);
  });
});

describe('rolling evaluation', () => {
  // Two members; every week a new thread by member 0; member 1 answers each thread 15½ days after it
  // appears, so at each week the older of member 1's two open candidates is the one about to be touched.
  function input(): RollingInput {
    const weeks = 20;
    const rows = [];
    const created: number[] = [];
    for (let w = 0; w < weeks; w++) {
      const t = w * 7 * DAY + DAY;
      created.push(t);
      rows.push({ member: 0, item: w, ts: t, weight: 3 }, { member: 1, item: w, ts: t + 15.5 * DAY, weight: 2 });
    }
    const text = created.map((_, i) => `thread ${i} beer`);
    return {
      rows,
      text,
      tags: created.map(() => ['beer']),
      replies: rows.filter((r) => r.member === 1).map((r) => ({ from: 1, to: 0, ts: r.ts })),
      cat: { members: 2, items: weeks, meta: { created: Float64Array.from(created), author: new Int32Array(weeks) }, index: new TfIdf(text) }
    };
  }

  it('scores only weeks from the cut-off and learns from earlier weeks what newest-first gets wrong', () => {
    const built = rollingSteps(input(), { cutoff: 10 * 7 * DAY });
    expect(built.steps[0].k).toBeLessThan(0);
    const report = evaluateRolling(built, input().cat.meta.author, { ablations: false });
    const by = new Map(report.figures.map((f) => [f.model, f]));
    expect(report.counts.pairs).toBeGreaterThan(0);
    expect(by.get('newest-first')!.ndcg).toBeLessThan(0.7);
    expect(by.get('ranker')!.ndcg).toBe(1);
    expect(by.get(ORACLE)!.pairs).toBe(report.counts.pairs);
    expect(by.get(FORESIGHT)!.pairs).toBe(report.counts.pairs);
  });

  it('orders by how many others touch a thread next week, ties newest first (the foresight bound)', () => {
    const features = [-20, -2, -5, -1].map((daysAgo) => Float64Array.from(FEATURES, (_f, f) => (f === 0 ? daysAgo : 0)));
    const pair: RollingPair = {
      step: 0,
      member: 0,
      warm: true,
      candidates: Int32Array.from([1, 2, 3, 4]),
      relevant: new Set([1]),
      features,
      nextWeek: Float64Array.from([3, 1, 1, 0])
    };
    expect(rankByScore(pair.candidates, foresightScores(pair))).toEqual([1, 2, 3, 4]);
  });

  it('bounds from above: fitted on the scored lists themselves, it ranks first the candidate a feature marks', () => {
    const random = seededRandom('bound');
    const ease = FEATURES.indexOf('ease');
    const pairs: RollingPair[] = Array.from({ length: 30 }, (_, n) => {
      const candidates = Int32Array.from([0, 1, 2, 3, 4], (c) => n * 5 + c);
      const hit = n % 5;
      const features = Array.from(candidates, (_i, c) => Float64Array.from(FEATURES, (_f, f) => (f === ease ? (c === hit ? 1 : 0) : random())));
      return { step: n, member: 0, warm: true, candidates, relevant: new Set([candidates[hit]]), features };
    });
    const diffs = pairs.map((p) => pairDifferences({ features: p.features, relevant: Array.from(p.candidates, (i) => p.relevant.has(i)) }));
    const bound = inSampleBound(pairs, diffs);
    expect(bound.every((r) => r.ndcg === 1)).toBe(true);
  });
});

describe('rolling evaluation on real data', () => {
  // The protocol of EVALUATION.md on Beer, Wine & Spirits: every week from 2016-01-01, the ranker
  // fitted on earlier weeks only (its L2 chosen on the weeks before the cut-off).
  it('ranks the threads Beer members touch next week above newest-first, on all and on returning members', () => {
    const dir = sharedDataDir('se-beer');
    if (!dir) throw new Error('the shared data (../shared/data/se-beer) is missing');
    const c = loadSeInteractions(dir);
    const built = rollingSteps(c, { cutoff: Date.parse('2016-01-01T00:00:00Z') });
    const report = evaluateRolling(built, c.cat.meta.author, { ablations: false, references: false });
    const by = new Map(report.figures.map((f) => [f.model, f]));
    expect(report.counts.pairs).toBe(434);
    expect(by.get('ranker')!.ndcg).toBeGreaterThan(by.get('newest-first')!.ndcg);
    expect(by.get('ranker')!.ndcgWarm).toBeGreaterThan(by.get('newest-first')!.ndcgWarm);
  }, 180_000);
});
