// `npm run eval:recs`: the recommenders of workers/recommend on the real community (Bicycles Meta
// Stack Exchange, ../shared/data/se-bicycles-meta), under both protocols of its EVALUATION.md.
// Prints one JSON line per model and protocol on stdout
//   {"model": ..., "protocol": ..., "ndcg@10": ..., "recall@20": ..., "coverage": ...}
// and a readable table, the seed and the hybrid's tuned weights on stderr.
import { loadSeInteractions } from './data/se-interactions';
import {
  evaluateScorer,
  feedbackOf,
  fitComponents,
  fitHybridFor,
  holdoutProtocol,
  temporalProtocol,
  type Catalogue,
  type Protocol,
  type Row
} from '../workers/recommend/evaluate';

/** The holdout split's seed: fixed, so every run and every reader gets the same split. */
export const HOLDOUT_SEED = 20261125;
const TEMPORAL_CUTOFF = Date.parse('2016-01-01T00:00:00Z');
const MODELS: Record<string, string> = {
  popularity: 'popularity',
  'item-knn': 'item-knn',
  ease: 'ease',
  ials: 'ials',
  content: 'tfidf'
};

function run(protocol: Protocol, rows: Row[], cat: Catalogue) {
  const started = performance.now();
  const split = protocol.split(rows, cat);
  const train = feedbackOf(split.train, cat);
  const components = fitComponents(train, cat);
  const results: { model: string; ndcg: number; recall: number; coverage: number }[] = [];
  for (const c of components) {
    const model = MODELS[c.name];
    if (!model) continue;
    const s = evaluateScorer(c, train, split, cat.items);
    results.push({ model, ndcg: s.ndcg10, recall: s.recall20, coverage: s.coverage });
  }
  const { hybrid, tuned, validationMembers } = fitHybridFor(protocol, split, cat);
  const h = evaluateScorer(hybrid, train, split, cat.items);
  results.push({ model: 'hybrid', ndcg: h.ndcg10, recall: h.recall20, coverage: h.coverage });
  // Ablation: the same hybrid without the time signals, the strongest single ones here.
  const ablated = fitHybridFor(protocol, split, cat, { without: ['time', 'era'] });
  const a = evaluateScorer(ablated.hybrid, train, split, cat.items);
  results.push({ model: 'hybrid-without-time', ndcg: a.ndcg10, recall: a.recall20, coverage: a.coverage });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const r of results) {
    console.log(JSON.stringify({ model: r.model, protocol: protocol.name, 'ndcg@10': round(r.ndcg), 'recall@20': round(r.recall), coverage: round(r.coverage) }));
  }
  console.error(`\n${protocol.name}: ${h.members} test members, ${split.candidates?.length ?? cat.items} candidate threads, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.error(`  hybrid weights (tuned on ${validationMembers} validation members inside training, objective ${tuned.objective.toFixed(3)}): ${JSON.stringify(tuned.weights)}`);
  console.error('  model        NDCG@10  Recall@20  coverage');
  for (const r of results) console.error(`  ${r.model.padEnd(12)} ${r.ndcg.toFixed(3).padStart(7)}  ${r.recall.toFixed(3).padStart(9)}  ${r.coverage.toFixed(3).padStart(8)}`);
}

const { rows, cat } = loadSeInteractions();
console.error(`se-bicycles-meta: ${cat.members} members × ${cat.items} threads, ${rows.length} interactions; holdout seed ${HOLDOUT_SEED}`);
run(holdoutProtocol(HOLDOUT_SEED), rows, cat);
run(temporalProtocol(TEMPORAL_CUTOFF), rows, cat);
