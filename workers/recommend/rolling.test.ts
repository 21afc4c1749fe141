import { describe, expect, it } from 'vitest';
import { inverse, Matrix } from 'ml-matrix';
import { TfIdf } from './tfidf';
import { gini } from './metrics';
import { loadSeInteractions } from '../../scripts/data/se-interactions';
import { sharedDataDir } from './se-snapshot';
import {
  evaluateRolling,
  FEATURES,
  FORESIGHT,
  foresightScores,
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

describe('candidate features of the rolling ranker, each from data before t only', () => {
  // Day T = 50; threads 0 (day 10, member 0), 1 (T−10, member 1), 2 (T−5, member 2), 3 (T−2, member 1).
  // Member 5 has no history (cold); member 4's first act ever is a comment on thread 1 at T−2.5.
  const T = 50 * DAY;
  function scenario(): RollingInput {
    const rows = [
      { member: 0, item: 0, ts: T - 40 * DAY, weight: 3 },
      { member: 3, item: 0, ts: T - 39 * DAY, weight: 1 },
      { member: 2, item: 0, ts: T - 30 * DAY, weight: 2 },
      { member: 1, item: 1, ts: T - 10 * DAY, weight: 3 },
      { member: 2, item: 1, ts: T - 2.8 * DAY, weight: 2 },
      { member: 4, item: 1, ts: T - 2.5 * DAY, weight: 1 },
      { member: 2, item: 2, ts: T - 5 * DAY, weight: 3 },
      { member: 3, item: 2, ts: T - 1 * DAY, weight: 1 },
      { member: 1, item: 3, ts: T - 2 * DAY, weight: 3 },
      // After T: never seen by the lists at T.
      { member: 0, item: 1, ts: T + DAY, weight: 1 },
      { member: 5, item: 3, ts: T + DAY, weight: 2 }
    ];
    const created = [T - 40 * DAY, T - 10 * DAY, T - 5 * DAY, T - 2 * DAY];
    const text = ['hops yeast', 'hops bitter', 'hops aroma', 'wine cellar'];
    return {
      rows,
      text,
      tags: [[], [], [], []],
      // Member 0 and 2 exchanged twice (last T−20, a recent tie), 0 and 3 once (T−39, an old one); one after T.
      replies: [
        { from: 3, to: 0, ts: T - 39 * DAY },
        { from: 2, to: 0, ts: T - 30 * DAY },
        { from: 0, to: 2, ts: T - 20 * DAY },
        { from: 1, to: 0, ts: T + DAY }
      ],
      votes: [
        { item: 2, ts: T - 3 * DAY },
        { item: 2, ts: T - DAY },
        { item: 3, ts: T },
        { item: 3, ts: T + DAY }
      ],
      favourites: [
        { member: 0, item: 2, ts: T - DAY },
        { member: 0, item: 3, ts: T + DAY }
      ],
      featured: [
        { item: 3, from: T - DAY, to: T + 6 * DAY },
        { item: 1, from: T - 10 * DAY, to: T - 3 * DAY }
      ],
      // Thread 2's question down-voted twice (one counted from the end of day T, so at T), thread 3's after T.
      downvotes: [
        { item: 2, ts: T - 4 * DAY },
        { item: 2, ts: T },
        { item: 3, ts: T + DAY }
      ],
      // A closing comment on thread 1 at T−1; one on thread 3 exactly at T is not before T.
      closing: [
        { item: 1, ts: T - DAY },
        { item: 3, ts: T }
      ],
      cat: { members: 6, items: 4, meta: { created: Float64Array.from(created), author: Int32Array.from([0, 1, 2, 1]) }, index: new TfIdf(text) }
    };
  }
  const listAt = (u: number) => {
    const built = rollingSteps(scenario(), { cutoff: T, rankAt: T });
    const list = built.at!(u);
    return (feature: string) => Object.fromEntries(Array.from(list.candidates, (i, c) => [i, list.features[c][FEATURES.indexOf(feature as never)]]));
  };

  it('counts touches of the last three days and up-votes of the last two (a vote counts from the end of its day)', () => {
    const f = listAt(0);
    expect(f('touches-3d')).toEqual({ 1: Math.log(3), 2: Math.log(2), 3: Math.log(2) });
    expect(f('votes-2d')).toEqual({ 1: 0, 2: Math.log(2), 3: Math.log(2) });
  });

  it('counts members whose first act anywhere touched the thread in the last seven days', () => {
    expect(listAt(0)('newcomers')).toEqual({ 1: Math.log(2), 2: 0, 3: 0 });
  });

  it('weighs the member ties with its participants, the recent ones, and co-participants by shared threads', () => {
    const f = listAt(0);
    // Thread 1: members 1, 2, 4; member 0 exchanged twice with 2 (last at T−20: recent). Thread 2: members 2, 3.
    expect(f('ties')[1]).toBeCloseTo(Math.log(3), 12);
    expect(f('ties')[2]).toBeCloseTo(Math.log(3) + Math.log(2), 12);
    expect(f('ties')[3]).toBe(0);
    expect(f('ties-recent')).toEqual({ 1: 1, 2: 1, 3: 0 });
    // Member 0 shares thread 0 with members 2 (3 threads) and 3 (2 threads).
    expect(f('peers')[1]).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(f('peers')[2]).toBeCloseTo(1 / Math.sqrt(3) + 1 / Math.sqrt(2), 12);
    expect(f('peers')[3]).toBe(0);
  });

  it('matches text against the threads the member touched in the last 28 days only', () => {
    // Member 3 touched thread 2 ("hops aroma") at T−1; "hops" is the only word in two threads or more.
    expect(listAt(3)('recent-text')).toEqual({ 1: 1, 3: 0 });
    // Member 0's one thread was touched 40 days ago.
    expect(listAt(0)('recent-text')).toEqual({ 1: 0, 2: 0, 3: 0 });
  });

  it('marks a thread featured while its span is open and a favourite once marked', () => {
    const f = listAt(0);
    expect(f('featured')).toEqual({ 1: 0, 2: 0, 3: 1 });
    expect(f('favourited')).toEqual({ 1: 0, 2: 1, 3: 0 });
  });

  it('counts down-votes on the question up to T and closing comments before T', () => {
    const f = listAt(0);
    expect(f('question-downvotes')).toEqual({ 1: 0, 2: Math.log(3), 3: 0 });
    expect(f('closing')).toEqual({ 1: Math.log(2), 2: 0, 3: 0 });
  });

  it('counts what the asker had done before T and marks an asker with at most one act', () => {
    // Askers: thread 1 and 3 member 1 (two acts before T: asked 1 and 3), thread 2 member 2 (three acts).
    const f = listAt(0);
    expect(f('asker-acts')).toEqual({ 1: Math.log(3), 2: Math.log(4), 3: Math.log(3) });
    expect(f('asker-new')).toEqual({ 1: 0, 2: 0, 3: 0 });
    // Thread 3 as if asked by member 4, whose one act before T is a comment: a newcomer asker.
    const input = scenario();
    input.cat.meta.author[3] = 4;
    const list = rollingSteps(input, { cutoff: T, rankAt: T }).at!(0);
    const of = (feature: string) => list.features[list.candidates.indexOf(3)][FEATURES.indexOf(feature as never)];
    expect(of('asker-acts')).toBe(Math.log(2));
    expect(of('asker-new')).toBe(1);
  });

  it('places each thread on the newest and the active pages', () => {
    const f = listAt(0);
    expect(f('newest-position')).toEqual({ 1: -Math.log(3), 2: -Math.log(2), 3: -0 });
    // Last touches: thread 1 at T−2.5, 2 at T−1, 3 at T−2 (thread 0 at T−30, below them all).
    expect(f('active-position')).toEqual({ 1: -Math.log(3), 2: -0, 3: -Math.log(2) });
  });

  it('repeats thread features for a member without history and leaves them 0 for the others', () => {
    const cold = listAt(5);
    expect(cold('cold-touches-3d')).toEqual(cold('touches-3d'));
    expect(cold('cold-newest')).toEqual({ 1: -10, 2: -5, 3: -2 });
    expect(Object.values(listAt(0)('cold-newest'))).toEqual([0, 0, 0]);
  });
});
