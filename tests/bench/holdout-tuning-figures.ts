// The holdout hybrid without time features (eval:recs' `hybrid-without-time`) under other ways of
// normalising and tuning its components, each chosen on inner holdout folds of the training rows
// only and scored on the 5 seeds' held-out threads (mean ± sd, and each seed):
//   z / rank / zlog — z-scores (the hybrid's), z-scores of within-pool ranks, z-scores of signed log1p;
//   folds N — the weights tuned on N inner folds instead of 3; bag — tuned per fold, weights averaged;
//   pairwise — a pairwise logistic regression over the z-scored components, L2 by leave-one-fold-out.
// `npx tsx tests/bench/holdout-tuning-figures.ts [DATA_ROOT]`; JSON lines.
import { communityDirs, loadSeInteractions } from '../../scripts/data/se-interactions';
import { feedbackOf, fitComponents, holdoutSplit } from '../../workers/recommend/evaluate';
import { ndcgOfPositions, tuneWeights, type ValidationCase } from '../../workers/recommend/hybrid';
import { PairStore, pairDifferences } from '../../workers/recommend/ranker';
import { rawCases, zOf, type RawCase } from './holdout-cases';

const WITHOUT = ['ials', 'time', 'era', 'earliest'];
const SEEDS = [20261125, 20261126, 20261127, 20261128, 20261129];

function ranksOf(x: Float64Array): Float64Array {
  const idx = Array.from(x.keys()).sort((a, b) => x[a] - x[b]);
  const out = new Float64Array(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) out[idx[k]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

const NORMS: Record<string, (x: Float64Array) => Float64Array> = {
  z: zOf,
  rank: (x) => zOf(ranksOf(x)),
  zlog: (x) => zOf(x.map((v) => Math.sign(v) * Math.log1p(Math.abs(v))))
};

const casesOf = (r: RawCase[], norm: string): ValidationCase[] =>
  r.map((c) => ({ member: c.member, relevant: c.relevant, pool: c.pool, z: c.raw.map(NORMS[norm]) }));

function meanNdcg(cases: ValidationCase[], w: readonly number[]): number {
  let sum = 0;
  for (const c of cases) {
    const s = new Float64Array(c.pool.length);
    w.forEach((wb, b) => {
      if (wb) for (let a = 0; a < s.length; a++) s[a] += wb * c.z[b][a];
    });
    sum += ndcgOfPositions(
      s,
      c.pool,
      Array.from(c.pool.keys()).filter((a) => c.relevant.has(c.pool[a]))
    );
  }
  return cases.length ? sum / cases.length : 0;
}

function pairwiseWeights(folds: ValidationCase[][], dims: number): number[] {
  const lists = folds.map((fold) =>
    fold.map((c) =>
      pairDifferences(
        { features: Array.from(c.pool, (_i, a) => Float64Array.from(c.z, (z) => z[a])), relevant: Array.from(c.pool, (i) => c.relevant.has(i)) },
        true
      )
    )
  );
  const fitWithout = (skip: number, l2: number) => {
    const store = new PairStore(dims);
    lists.forEach((l, f) => {
      if (f !== skip) for (const d of l) store.add(d);
    });
    return Array.from(store.fit({ l2, raw: true, iterations: 20 }).weights);
  };
  let best = 1;
  let bestScore = -1;
  for (const l2 of [0.1, 1, 10, 100]) {
    const s = folds.reduce((a, fold, f) => a + meanNdcg(fold, fitWithout(f, l2)), 0);
    if (s > bestScore + 1e-12) [best, bestScore] = [l2, s];
  }
  return fitWithout(-1, best);
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));

const root = process.argv[2] ?? '/work/shared/data';
for (const dir of communityDirs(root)) {
  const c = loadSeInteractions(dir);
  const results: Record<string, number[]> = {};
  const push = (v: string, x: number) => (results[v] ??= []).push(x);
  for (const seed of SEEDS) {
    const split = holdoutSplit(c.rows, seed);
    const train = feedbackOf(split.train, c.cat);
    const components = fitComponents(train, c.cat, { without: WITHOUT });
    const names = components.map((x) => x.name);
    const scored = rawCases(components, c.cat.items, (u) => train.itemsOf(u), split.test, true);
    // Ten inner folds, as holdoutProtocol's (seed/validation/1…): the first 3 are the hybrid's own.
    const folds = Array.from({ length: 10 }, (_, f) => {
      const inner = holdoutSplit(split.train, `${seed}/validation/${f + 1}`);
      const t = feedbackOf(inner.train, c.cat);
      return rawCases(fitComponents(t, c.cat, { without: WITHOUT }), c.cat.items, (u) => t.itemsOf(u), inner.test, false);
    });
    const tuned = (cases: ValidationCase[]) => {
      const w = tuneWeights(names, cases).weights;
      return names.map((n) => w[n]);
    };
    for (const norm of Object.keys(NORMS)) push(norm, meanNdcg(casesOf(scored, norm), tuned(casesOf(folds.slice(0, 3).flat(), norm))));
    for (const n of [6, 10]) push(`z, ${n} folds`, meanNdcg(casesOf(scored, 'z'), tuned(casesOf(folds.slice(0, n).flat(), 'z'))));
    const perFold = folds.slice(0, 3).map((f) => tuned(casesOf(f, 'z')));
    push(
      'z, bagged over 3 folds',
      meanNdcg(
        casesOf(scored, 'z'),
        names.map((_n, b) => mean(perFold.map((w) => w[b])))
      )
    );
    push(
      'pairwise logistic',
      meanNdcg(
        casesOf(scored, 'z'),
        pairwiseWeights(
          folds.slice(0, 3).map((f) => casesOf(f, 'z')),
          names.length
        )
      )
    );
  }
  for (const [variant, r] of Object.entries(results))
    console.log(
      JSON.stringify({
        data: c.name,
        protocol: 'holdout',
        model: `hybrid-without-time (${variant})`,
        'ndcg@10': +mean(r).toFixed(3),
        sd: +sd(r).toFixed(3),
        seeds: r.map((x) => +x.toFixed(3))
      })
    );
}
