// Cross-check of the holdout components with an independent numpy implementation on the same
// splits: writes each seed's held-out threads (member index, as both number members by ascending user id → thread ids) and our popularity, EASE,
// plain TF-IDF and reference-recipe NDCG@10, for `tests/bench/holdout-crosscheck.py` to recompute
// from the CSVs alone. `npx tsx tests/bench/holdout-crosscheck.ts DATA_DIR [N=5] > OUT.json`.
import { loadSeInteractions } from '../../scripts/data/se-interactions';
import { contextOf, evaluateScorer, feedbackOf, fitComponents, holdoutProtocol } from '../../workers/recommend/evaluate';
import { blend } from '../../workers/recommend/hybrid';

const dir = process.argv[2];
const n = Number(process.argv[3] ?? 5);
const c = loadSeInteractions(dir);
const seeds = [];
for (let s = 0; s < n; s++) {
  const seed = 20261125 + s;
  const split = holdoutProtocol(seed).split(c.rows, c.cat);
  const train = feedbackOf(split.train, c.cat);
  const components = fitComponents(train, c.cat, { without: ['ials', 'time', 'era', 'earliest'] });
  const by = Object.fromEntries(components.map((x) => [x.name, x]));
  const ndcg: Record<string, number> = {};
  for (const name of ['popularity', 'ease', 'tfidf']) ndcg[name] = evaluateScorer(by[name], train, split, c.cat.items).ndcg10;
  ndcg.recipe = evaluateScorer(
    blend(components, { popularity: 1, ease: 1, tfidf: 1 }, c.cat.items, contextOf(train, split.candidates)),
    train,
    split,
    c.cat.items
  ).ndcg10;
  seeds.push({ seed, held: [...split.test].map(([m, items]) => [m, [...items].map((i) => c.threadIds[i])]), ndcg });
}
console.log(JSON.stringify({ data: c.name, seeds }));
