// `npm run eval:recs [-- --data DIR] [--cutoff 2016-01-01] [--protocol holdout|temporal|rolling] [--seeds 5]`:
// the recommenders of workers/recommend under the protocols of the shared data's EVALUATION.md,
// on every community folder under DIR (default ../shared/data). One JSON line per model, protocol
// and community on stdout:
//   {"model","protocol","data","ndcg@10","recall@20","coverage","sd", ...}
// holdout: mean and standard deviation over `--seeds` seeds (never the best seed);
// temporal: one split per the protocol, sd = standard error over test members;
// rolling: means over all (member, week) pairs with recall@10, warm/cold means, sd = standard
// error over pairs, exposure Gini across authors. Readable tables and tuned weights on stderr.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { communityDirs, loadSeInteractions, type SeCommunity } from './data/se-interactions';
import { seDataDir } from './data/se-csv';
import { blend, tuneWeights, validationCases } from '../workers/recommend/hybrid';
import {
  contextOf,
  evaluateScorer,
  feedbackOf,
  fitComponents,
  holdoutProtocol,
  temporalProtocol,
  type Protocol,
  type Scores
} from '../workers/recommend/evaluate';
import { DIVERSITY_LAMBDA, diversityModel } from '../workers/recommend/diversify';
import { evaluateRolling, rollingSteps } from '../workers/recommend/rolling';

/** The λ of the creator's diversity settings other than off: each gets a `…+diversity(λ)` row. */
const DIVERSITY_LAMBDAS = Object.values(DIVERSITY_LAMBDA).filter((l) => l > 0);

/** The first holdout seed; the others follow it (20261125, 20261126, …): fixed, so every run repeats. */
export const HOLDOUT_SEED = 20261125;
const MODELS: Record<string, string> = {
  popularity: 'popularity',
  'item-knn': 'item-knn',
  ease: 'ease',
  content: 'tfidf',
  tfidf: 'tfidf-plain',
  'user-knn': 'user-knn'
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

interface Figure {
  model: string;
  ndcg: number;
  recall: number;
  coverage: number;
  /** Gini of exposure across authors in the top-10 lists. */
  exposureGini: number;
  /** Standard error of the mean NDCG@10 over test members. */
  se: number;
  /** NDCG@10 of each test member, in one order for every model of a split (paired comparisons). */
  perMember: number[];
}

const se = (xs: number[]) => (xs.length > 1 ? sd(xs) / Math.sqrt(xs.length) : 0);

const figureOf = (model: string, s: Scores): Figure => ({
  model,
  ndcg: s.ndcg10,
  recall: s.recall20,
  coverage: s.coverage,
  exposureGini: s.exposureGini,
  se: se(s.perMember),
  perMember: s.perMember
});

/** One split: every single model, the earliest-after-cut tie order, the hybrid and its ablations. */
function runSplit(protocol: Protocol, c: SeCommunity): Figure[] {
  const split = protocol.split(c.rows, c.cat);
  const train = feedbackOf(split.train, c.cat);
  const byAuthor = { author: c.cat.meta.author };
  const out: Figure[] = [];
  const components = fitComponents(train, c.cat, { without: ['ials'] });
  for (const comp of components) {
    const model = MODELS[comp.name];
    if (!model) continue;
    out.push(figureOf(model, evaluateScorer(comp, train, split, c.cat.items, byAuthor)));
  }
  // The trivial orderings: constant score (ties by item index = thread id: the earliest thread
  // first) and newest first.
  const constant = { name: 'earliest-first', score: () => new Float64Array(c.cat.items) };
  const newest = { name: 'newest-first', score: () => c.cat.meta.created };
  for (const s of [constant, newest]) {
    out.push(figureOf(s.name, evaluateScorer(s, train, split, c.cat.items, byAuthor)));
  }
  // The reference's recipe (EVALUATION.md): popularity, EASE and plain TF-IDF z-scored and summed,
  // on the same split, so the hybrid is compared with it seed by seed and not with a figure from
  // another implementation's split.
  {
    const reference = blend(components, { popularity: 1, ease: 1, tfidf: 1 }, c.cat.items, contextOf(train, split.candidates));
    out.push(figureOf('reference-hybrid', evaluateScorer({ ...reference, name: 'reference-hybrid' }, train, split, c.cat.items, byAuthor)));
  }
  // The hybrid and its ablations share one fit of every component, on the inner validation
  // splits and on the training rows; each variant tunes its weights over its subset of them.
  const names = components.map((x) => x.name);
  const cases = protocol.inner(split.train, c.cat).flatMap((inner) => {
    const innerTrain = feedbackOf(inner.train, c.cat);
    return validationCases(fitComponents(innerTrain, c.cat, { without: ['ials'] }), c.cat.items, contextOf(innerTrain, inner.candidates), inner.test);
  });
  const variants: [string, string[]][] = [
    ['hybrid', []],
    ['hybrid-without-time', ['time', 'era', 'earliest']],
    ['hybrid-without-content', ['content', 'tfidf', 'bm25', 'tags', 'content-popularity']],
    ['hybrid-without-bm25-and-tags', ['bm25', 'tags']],
    ['hybrid-without-collaborative', ['ease', 'item-knn', 'user-knn']],
    ['hybrid-without-authors', ['author-affinity', 'author-pull']]
  ];
  for (const [model, without] of variants) {
    const keep = names.map((_n, b) => b).filter((b) => !without.includes(names[b]));
    const tuned = tuneWeights(
      keep.map((b) => names[b]),
      cases.map((v) => ({ ...v, z: keep.map((b) => v.z[b]) }))
    );
    const hybrid = blend(
      keep.map((b) => components[b]),
      tuned.weights,
      c.cat.items,
      contextOf(train, split.candidates)
    );
    out.push(figureOf(model, evaluateScorer(hybrid, train, split, c.cat.items, byAuthor)));
    // The creator's diversity settings: the hybrid's lists re-ranked by maximal marginal relevance.
    if (model === 'hybrid')
      for (const lambda of DIVERSITY_LAMBDAS)
        out.push(figureOf(diversityModel(model, lambda), evaluateScorer(hybrid, train, split, c.cat.items, { ...byAuthor, diversity: lambda })));
    if (model === 'hybrid')
      console.error(`  ${protocol.name} hybrid weights: ${JSON.stringify(Object.fromEntries(Object.entries(tuned.weights).filter(([, w]) => w)))}`);
  }
  // A bound, not a model: the blend without time features with its weights tuned on the scored
  // members' held-out threads themselves. Above it, no weighting of these components reaches.
  const scoredCases = validationCases(components, c.cat.items, contextOf(train, split.candidates), split.test).filter(
    (v) => train.itemsOf(v.member).length > 0
  );
  const keep = names.map((_n, b) => b).filter((b) => !['time', 'era', 'earliest'].includes(names[b]));
  const peeked = tuneWeights(
    keep.map((b) => names[b]),
    scoredCases.map((v) => ({ ...v, z: keep.map((b) => v.z[b]) }))
  );
  const bound = evaluateScorer(
    blend(
      keep.map((b) => components[b]),
      peeked.weights,
      c.cat.items,
      contextOf(train, split.candidates)
    ),
    train,
    split,
    c.cat.items,
    byAuthor
  );
  out.push(figureOf(TUNED_ON_TEST, bound));
  return out;
}

/** The row of the blend (without time features) tuned on the scored split: an upper bound for its tuning. */
const TUNED_ON_TEST = 'bound: without time, weights tuned on the scored split';

function holdout(c: SeCommunity, seeds: number) {
  const runs = Array.from({ length: seeds }, (_, s) => runSplit(holdoutProtocol(HOLDOUT_SEED + s), c));
  const models = runs[0].map((f) => f.model);
  console.error(`\n${c.name} holdout, seeds ${HOLDOUT_SEED}…${HOLDOUT_SEED + seeds - 1} (mean ± sd)`);
  for (const model of models) {
    const per = runs.map((r) => r.find((f) => f.model === model)!);
    const row = {
      model,
      protocol: 'holdout',
      data: c.name,
      'ndcg@10': round(mean(per.map((f) => f.ndcg))),
      'recall@20': round(mean(per.map((f) => f.recall))),
      coverage: round(mean(per.map((f) => f.coverage))),
      exposure_gini: round(mean(per.map((f) => f.exposureGini))),
      sd: round(sd(per.map((f) => f.ndcg))),
      exposure_gini_sd: round(sd(per.map((f) => f.exposureGini))),
      seeds
    };
    console.log(JSON.stringify(row));
    console.error(
      `  ${model.padEnd(30)} ${row['ndcg@10'].toFixed(3)} ± ${row.sd.toFixed(3)}  recall@20 ${row['recall@20'].toFixed(3)}  coverage ${row.coverage.toFixed(3)}  gini ${row.exposure_gini.toFixed(3)} ± ${row.exposure_gini_sd.toFixed(3)}  (seeds: ${per.map((f) => f.ndcg.toFixed(3)).join(' ')})`
    );
  }
  // Paired over the same seeds: the hybrids against the reference's recipe on each split.
  for (const model of ['hybrid', 'hybrid-without-time']) {
    const diff = runs.map((r) => r.find((f) => f.model === model)!.ndcg - r.find((f) => f.model === 'reference-hybrid')!.ndcg);
    const row = {
      model,
      protocol: 'holdout',
      data: c.name,
      vs: 'reference-hybrid',
      diff: round(mean(diff)),
      sd: round(sd(diff)),
      seeds,
      better: diff.filter((d) => d > 0).length
    };
    console.log(JSON.stringify(row));
    console.error(
      `  ${model} − reference-hybrid, paired: ${row.diff >= 0 ? '+' : ''}${row.diff.toFixed(3)} ± ${row.sd.toFixed(3)} (better on ${row.better} of ${seeds} seeds)`
    );
  }
  // What each diversity setting costs and buys, paired over the same seeds: NDCG@10 and exposure Gini.
  for (const lambda of DIVERSITY_LAMBDAS) {
    const model = diversityModel('hybrid', lambda);
    const of = (r: Figure[], m: string) => r.find((f) => f.model === m)!;
    const diff = runs.map((r) => of(r, model).ndcg - of(r, 'hybrid').ndcg);
    const giniDiff = runs.map((r) => of(r, model).exposureGini - of(r, 'hybrid').exposureGini);
    printDiversityCost({ model, protocol: 'holdout', data: c.name, vs: 'hybrid', diff, giniDiff, spread: sd, over: { seeds } });
  }
}

/** One paired row of a diversity setting against its model: the mean differences and their spread (sd over seeds, or standard error). */
function printDiversityCost(p: {
  model: string;
  protocol: string;
  data: string;
  vs: string;
  diff: number[];
  giniDiff: number[] | null;
  spread: (xs: number[]) => number;
  over: Record<string, number>;
}) {
  const gini = p.giniDiff && { exposure_gini_diff: round(mean(p.giniDiff)), exposure_gini_diff_sd: round(p.spread(p.giniDiff)) };
  const row = { model: p.model, protocol: p.protocol, data: p.data, vs: p.vs, diff: round(mean(p.diff)), sd: round(p.spread(p.diff)), ...gini, ...p.over };
  console.log(JSON.stringify(row));
  const giniText = gini
    ? `, exposure Gini ${gini.exposure_gini_diff >= 0 ? '+' : ''}${gini.exposure_gini_diff.toFixed(3)} ± ${gini.exposure_gini_diff_sd.toFixed(3)}`
    : '';
  console.error(`  ${p.model} − ${p.vs}, paired: NDCG@10 ${row.diff >= 0 ? '+' : ''}${row.diff.toFixed(3)} ± ${row.sd.toFixed(3)}${giniText}`);
}

function temporal(c: SeCommunity, cutoff: number) {
  const protocol = temporalProtocol(cutoff);
  console.error(`\n${c.name} ${protocol.name}`);
  const figures = runSplit(protocol, c);
  // One split per cut-off: the spread is the standard error of the mean over test members.
  for (const f of figures) {
    const row = {
      model: f.model,
      protocol: protocol.name,
      data: c.name,
      'ndcg@10': round(f.ndcg),
      'recall@20': round(f.recall),
      coverage: round(f.coverage),
      exposure_gini: round(f.exposureGini),
      sd: round(f.se)
    };
    console.log(JSON.stringify(row));
    console.error(
      `  ${f.model.padEnd(30)} ${row['ndcg@10'].toFixed(3)} ± ${row.sd.toFixed(3)}  recall@20 ${row['recall@20'].toFixed(3)}  coverage ${row.coverage.toFixed(3)}  gini ${row.exposure_gini.toFixed(3)}`
    );
  }
  // Paired over the same test members: the hybrids against the reference's rows (the tie order,
  // which any pure CF model gives here, and the plain TF-IDF).
  const by = new Map(figures.map((f) => [f.model, f]));
  for (const model of ['hybrid', 'hybrid-without-time'])
    for (const vs of ['earliest-first', 'tfidf-plain']) {
      const a = by.get(model)!.perMember;
      const diff = a.map((x, n) => x - by.get(vs)!.perMember[n]);
      const row = { model, protocol: protocol.name, data: c.name, vs, diff: round(mean(diff)), sd: round(se(diff)), members: diff.length };
      console.log(JSON.stringify(row));
      console.error(`  ${model} − ${vs}, paired over ${row.members} members: ${row.diff >= 0 ? '+' : ''}${row.diff.toFixed(3)} ± ${row.sd.toFixed(3)}`);
    }
  // The diversity settings against the hybrid, paired over the same members (one split: no Gini spread).
  for (const lambda of DIVERSITY_LAMBDAS) {
    const model = diversityModel('hybrid', lambda);
    const diff = by.get(model)!.perMember.map((x, n) => x - by.get('hybrid')!.perMember[n]);
    printDiversityCost({ model, protocol: protocol.name, data: c.name, vs: 'hybrid', diff, giniDiff: null, spread: se, over: { members: diff.length } });
  }
}

function rolling(c: SeCommunity, cutoff: number) {
  const started = performance.now();
  const built = rollingSteps(c, { cutoff, onStep: (done, total) => done % 50 === 0 && process.stderr.write(`  ${c.name} rolling: week ${done}/${total}\n`) });
  const report = evaluateRolling(built, c.cat.meta.author, { diversity: DIVERSITY_LAMBDAS });
  const name = `rolling(${new Date(cutoff).toISOString().slice(0, 10)})`;
  const n = report.counts;
  console.error(
    `\n${c.name} ${name}: ${n.steps} steps, ${n.skipped} skipped, ${n.withPairs} with pairs, ${n.pairs} pairs (${n.warm} warm / ${n.cold} cold), ${n.candidates.toFixed(2)} candidates and ${n.relevant.toFixed(2)} relevant per pair; ${((performance.now() - started) / 1000).toFixed(1)} s`
  );
  console.error(`  ranker l2 ${report.l2} (validation NDCG@10 on the weeks before the cut-off: ${JSON.stringify(report.validation)})`);
  console.error(`  ranker weights at the last step: ${JSON.stringify(report.lastWeights)}`);
  const newest = report.figures.find((f) => f.model === 'newest-first')!;
  for (const f of report.figures) {
    // Paired against newest-first over the same pairs: the difference and its standard error.
    const diff = f.perPair.map((x, n) => x - newest.perPair[n]);
    const row = {
      model: f.model,
      protocol: name,
      data: c.name,
      'ndcg@10': round(f.ndcg),
      'recall@10': round(f.recall),
      'ndcg@10_warm': round(f.ndcgWarm),
      'recall@10_warm': round(f.recallWarm),
      'ndcg@10_cold': round(f.ndcgCold),
      coverage: round(f.coverage),
      exposure_gini: round(f.exposureGini),
      sd: round(f.se),
      vs_newest: round(mean(diff)),
      vs_newest_se: round(se(diff)),
      pairs: f.pairs,
      warm: f.warmPairs
    };
    console.log(JSON.stringify(row));
    console.error(
      `  ${f.model.padEnd(30)} ${row['ndcg@10'].toFixed(3)} ± ${row.sd.toFixed(3)}  warm ${row['ndcg@10_warm'].toFixed(3)}  cold ${row['ndcg@10_cold'].toFixed(3)}  recall@10 ${row['recall@10'].toFixed(3)}  gini ${row.exposure_gini.toFixed(2)}  vs newest ${row.vs_newest >= 0 ? '+' : ''}${row.vs_newest.toFixed(3)} ± ${row.vs_newest_se.toFixed(3)}`
    );
  }
  // The diversity settings against the ranker, paired over the same pairs.
  const ranker = report.figures.find((f) => f.model === 'ranker')!;
  for (const lambda of DIVERSITY_LAMBDAS) {
    const model = diversityModel('ranker', lambda);
    const diff = report.figures.find((f) => f.model === model)!.perPair.map((x, n) => x - ranker.perPair[n]);
    printDiversityCost({ model, protocol: name, data: c.name, vs: 'ranker', diff, giniDiff: null, spread: se, over: { pairs: diff.length } });
  }
}

const dataRoot = arg('data') ?? (seDataDir() ? join(seDataDir()!, '..') : '/work/shared/data');
if (!existsSync(dataRoot)) throw new Error(`no data at ${dataRoot}`);
const cutoff = Date.parse(`${arg('cutoff') ?? '2016-01-01'}T00:00:00Z`);
const protocols = (arg('protocol') ?? 'holdout,temporal,rolling').split(',');
const seeds = Number(arg('seeds') ?? 5);
for (const dir of communityDirs(dataRoot)) {
  const c = loadSeInteractions(dir);
  console.error(`${c.name}: ${c.cat.members} members × ${c.cat.items} threads, ${c.rows.length} interactions`);
  if (protocols.includes('holdout')) holdout(c, seeds);
  if (protocols.includes('temporal')) temporal(c, cutoff);
  if (protocols.includes('rolling')) rolling(c, cutoff);
}
