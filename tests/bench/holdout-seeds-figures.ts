// How far one holdout split moves the figures: the reference's recipe (popularity + EASE + plain
// TF-IDF, z-scored, equal weights) and eval:recs' `hybrid-without-time` (weights tuned on three
// inner folds of the training rows, as eval:recs) on N seeds from 20261125 on — the first five are
// eval:recs' own. Nothing is tuned on a scored split; more seeds only narrow the estimate, and say
// how often a split gives the reference's recipe its published one-split figure or more.
// `npx tsx tests/bench/holdout-seeds-figures.ts [DATA_ROOT] [N=20] [community,…]`; JSON lines.
import { communityDirs, loadSeInteractions } from '../../scripts/data/se-interactions';
import { contextOf, evaluateScorer, feedbackOf, fitComponents, holdoutProtocol } from '../../workers/recommend/evaluate';
import { blend, tuneWeights, validationCases } from '../../workers/recommend/hybrid';

const WITHOUT = ['ials', 'time', 'era', 'earliest'];
/** The reference implementation's one-split figures (EVALUATION.md): its hybrid on its own split. */
const PUBLISHED: Record<string, number> = { 'se-bicycles-meta': 0.183, 'se-beer': 0.061 };

const root = process.argv[2] ?? '/work/shared/data';
const n = Number(process.argv[3] ?? 20);
const only = process.argv[4]?.split(',');
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
const r3 = (x: number) => +x.toFixed(3);

for (const dir of communityDirs(root)) {
  const c = loadSeInteractions(dir);
  if (only && !only.includes(c.name)) continue;
  const reference: number[] = [];
  const ours: number[] = [];
  for (let s = 0; s < n; s++) {
    const protocol = holdoutProtocol(20261125 + s);
    const split = protocol.split(c.rows, c.cat);
    const train = feedbackOf(split.train, c.cat);
    const components = fitComponents(train, c.cat, { without: WITHOUT });
    const ctx = contextOf(train, split.candidates);
    const recipe = blend(components, { popularity: 1, ease: 1, tfidf: 1 }, c.cat.items, ctx);
    reference.push(evaluateScorer(recipe, train, split, c.cat.items).ndcg10);
    const cases = protocol.inner(split.train, c.cat).flatMap((inner) => {
      const t = feedbackOf(inner.train, c.cat);
      return validationCases(fitComponents(t, c.cat, { without: WITHOUT }), c.cat.items, contextOf(t, inner.candidates), inner.test);
    });
    const tuned = tuneWeights(
      components.map((x) => x.name),
      cases
    );
    ours.push(evaluateScorer(blend(components, tuned.weights, c.cat.items, ctx), train, split, c.cat.items).ndcg10);
  }
  const published = PUBLISHED[c.name];
  const diff = ours.map((x, s) => x - reference[s]);
  for (const [model, r] of [
    ['reference-hybrid', reference],
    ['hybrid-without-time', ours]
  ] as const)
    console.log(
      JSON.stringify({
        data: c.name,
        model,
        seeds: n,
        'ndcg@10': r3(mean(r)),
        sd: r3(sd(r)),
        min: r3(Math.min(...r)),
        max: r3(Math.max(...r)),
        at_or_above_published: published === undefined ? null : r.filter((x) => x >= published).length,
        published: published ?? null,
        first5: r3(mean(r.slice(0, 5)))
      })
    );
  console.log(
    JSON.stringify({
      data: c.name,
      model: 'hybrid-without-time − reference-hybrid',
      seeds: n,
      diff: r3(mean(diff)),
      sd: r3(sd(diff)),
      better: diff.filter((d) => d > 0).length
    })
  );
}
