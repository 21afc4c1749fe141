// Offline evaluation of the recommenders: the two protocols of the shared data's EVALUATION.md
// (holdout with a fixed seed, temporal with a cutoff), every model trained on the training rows
// only, and the hybrid's weights tuned on the same protocol applied once more inside training.
import { Feedback, topK, type Scorer } from './feedback';
import { fitEase } from './ease';
import { blend, tuneWeights, validationCases, type BlendContext } from './hybrid';
import { fitIals } from './ials';
import { fitItemKnn } from './item-knn';
import { fitUserKnn } from './user-knn';
import { coverage, exposureGini, ndcgAt, recallAt } from './metrics';
import { DIVERSITY_POOL, diversify } from './diversify';
import { fitPopularity } from './popularity';
import { seededRandom, shuffled } from './random';
import { fitAuthorAffinity, fitAuthorPull, fitContentPopularity, fitEarliest, fitTagAffinity, fitTimeProximity, type ItemMeta } from './signals';
import { fitBm25, fitContent, fitPlainTfIdf, type TfIdf } from './tfidf';

export interface Row {
  member: number;
  item: number;
  ts: number;
  weight: number;
}

export interface Catalogue {
  members: number;
  items: number;
  meta: ItemMeta;
  index: TfIdf;
  /** Each thread's lower-cased title, tags and body (the plain TF-IDF's input), when known. */
  text?: string[];
  /** Each thread's tags, when known. */
  tags?: string[][];
}

export interface Split {
  train: Row[];
  /** Member -> the items they touched in the test part. */
  test: Map<number, Set<number>>;
  /** Items that may be ranked; null for all. */
  candidates: Int32Array | null;
}

export interface Protocol {
  name: string;
  split(rows: Row[], cat: Catalogue): Split;
  /**
   * The same protocol one level down, on training rows only: where the hybrid's weights are tuned.
   * Several folds, because one small validation set makes the tuned weights a coin toss.
   */
  inner(train: Row[], cat: Catalogue): Split[];
}

function distinctItems(rows: Row[]): Map<number, Set<number>> {
  const by = new Map<number, Set<number>>();
  for (const r of rows) {
    let s = by.get(r.member);
    if (!s) by.set(r.member, (s = new Set()));
    s.add(r.item);
  }
  return by;
}

/** Members with ≥ 3 distinct items lose 20 % of them (rounded, at least one), chosen at random with `seed`. */
export function holdoutSplit(rows: Row[], seed: string | number): Split {
  const random = seededRandom(seed);
  const held = new Map<number, Set<number>>();
  const byMember = [...distinctItems(rows)].sort((a, b) => a[0] - b[0]);
  for (const [member, items] of byMember) {
    if (items.size < 3) continue;
    const n = Math.max(1, Math.round(items.size * 0.2));
    held.set(
      member,
      new Set(
        shuffled(
          [...items].sort((a, b) => a - b),
          random
        ).slice(0, n)
      )
    );
  }
  const train = rows.filter((r) => !held.get(r.member)?.has(r.item));
  return { train, test: held, candidates: null };
}

/** Train before `cutoff`; rank the items created at or after it; relevant: those touched after it by members with training rows. */
export function temporalSplit(rows: Row[], created: Float64Array, cutoff: number, until = Infinity): Split {
  const train = rows.filter((r) => r.ts < cutoff);
  const known = new Set(train.map((r) => r.member));
  const candidates = Int32Array.from(created.keys()).filter((i) => created[i] >= cutoff && created[i] < until);
  const isCandidate = new Set(candidates);
  const test = new Map<number, Set<number>>();
  for (const r of rows) {
    if (r.ts < cutoff || r.ts >= until || !known.has(r.member) || !isCandidate.has(r.item)) continue;
    let s = test.get(r.member);
    if (!s) test.set(r.member, (s = new Set()));
    s.add(r.item);
  }
  return { train, test, candidates };
}

export function holdoutProtocol(seed: string | number): Protocol {
  return {
    name: 'holdout',
    split: (rows) => holdoutSplit(rows, seed),
    inner: (train) => [1, 2, 3].map((fold) => holdoutSplit(train, `${seed}/validation/${fold}`))
  };
}

export function temporalProtocol(cutoff: number): Protocol {
  return {
    name: `temporal(${new Date(cutoff).toISOString().slice(0, 10)})`,
    split: (rows, cat) => temporalSplit(rows, cat.meta.created, cutoff),
    inner: (train, cat) => {
      // Inner cutoffs leave the last 40, 30 and 20 % of the training period's threads as new content.
      const before = Array.from(cat.meta.created)
        .filter((t) => t < cutoff)
        .sort((a, b) => a - b);
      return [0.6, 0.7, 0.8].map((q) => temporalSplit(train, cat.meta.created, before[Math.floor(before.length * q)], cutoff));
    }
  };
}

export function feedbackOf(rows: Row[], cat: Catalogue): Feedback {
  return new Feedback(cat.members, cat.items, rows);
}

export interface SuiteOptions {
  easeLambda?: number;
  ials?: { factors?: number; reg?: number; alpha?: number; iterations?: number };
  knnK?: number;
  /** Signals left out (by name), for ablations. */
  without?: string[];
}

/** Every single model and signal, fitted on one training set. */
export function fitComponents(train: Feedback, cat: Catalogue, options: SuiteOptions = {}): Scorer[] {
  const without = new Set(options.without ?? []);
  // Fitted only when wanted: an ablation or a run without iALS does not pay for it.
  const fits: [string, () => Scorer][] = [
    ['popularity', () => fitPopularity(train)],
    ['item-knn', () => fitItemKnn(train, { k: options.knnK ?? 50 })],
    ['ease', () => fitEase(train, { lambda: options.easeLambda ?? 200 })],
    ['user-knn', () => fitUserKnn(train)],
    ['ials', () => fitIals(train, { ...options.ials, seed: 'eval' })],
    ['content', () => fitContent(train, cat.index)],
    ['tfidf', () => (cat.text ? fitPlainTfIdf(train, cat.text) : { name: 'tfidf', score: () => new Float64Array(train.items) })],
    ['bm25', () => (cat.text ? fitBm25(train, cat.text) : { name: 'bm25', score: () => new Float64Array(train.items) })],
    ['tags', () => fitTagAffinity(train, cat.tags ?? Array.from({ length: cat.items }, () => []))],
    ['time', () => fitTimeProximity(train, cat.meta, { scaleDays: 60 })],
    ['era', () => fitTimeProximity(train, cat.meta, { scaleDays: 365, log: true, name: 'era' })],
    ['earliest', () => fitEarliest(train, cat.meta)],
    ['author-affinity', () => fitAuthorAffinity(train, cat.meta)],
    ['author-pull', () => fitAuthorPull(train, cat.meta)],
    ['content-popularity', () => fitContentPopularity(train, cat.index)]
  ];
  return fits.filter(([name]) => !without.has(name)).map(([, fitModel]) => fitModel());
}

export function contextOf(train: Feedback, candidates: Int32Array | null): BlendContext {
  return { candidates, seen: (u) => train.itemsOf(u) };
}

/** The hybrid for a protocol: weights from the inner validation split, components refitted on all training rows. */
export function fitHybridFor(protocol: Protocol, split: Split, cat: Catalogue, options: SuiteOptions = {}) {
  const cases = protocol.inner(split.train, cat).flatMap((inner) => {
    const innerTrain = feedbackOf(inner.train, cat);
    const innerComponents = fitComponents(innerTrain, cat, options);
    return validationCases(innerComponents, cat.items, contextOf(innerTrain, inner.candidates), inner.test);
  });
  const train = feedbackOf(split.train, cat);
  const components = fitComponents(train, cat, options);
  const tuned = tuneWeights(
    components.map((c) => c.name),
    cases
  );
  return { hybrid: blend(components, tuned.weights, cat.items, contextOf(train, split.candidates)), components, tuned, validationMembers: cases.length };
}

export interface Scores {
  ndcg10: number;
  recall20: number;
  coverage: number;
  /** Gini of exposure across the candidates' authors in the top-10 lists (0 without authors). */
  exposureGini: number;
  members: number;
  /** NDCG@10 of each test member, for spreads. */
  perMember: number[];
}

export interface ScoreOptions {
  /** Each item's author (index), for the exposure Gini and the diversity re-ranking. */
  author?: Int32Array;
  /** Re-rank each member's list by maximal marginal relevance with this λ (diversify.ts); 0: the model's order. */
  diversity?: number;
}

export function evaluateScorer(scorer: Scorer, train: Feedback, split: Split, items: number, options: ScoreOptions = {}): Scores {
  const { author, diversity = 0 } = options;
  if (diversity > 0 && !author) throw new Error('diversity needs the items’ authors');
  let ndcg = 0;
  let recall = 0;
  let n = 0;
  const lists: number[][] = [];
  const perMember: number[] = [];
  for (const [member, relevant] of split.test) {
    if (train.itemsOf(member).length === 0) continue;
    // The re-ranking chooses its 20 from the model's top DIVERSITY_POOL × 20, as the app does.
    const top = topK(scorer.score(member), diversity > 0 ? 20 * DIVERSITY_POOL : 20, train.itemsOf(member), split.candidates);
    const ranked = diversity > 0 ? diversify(top, { lambda: diversity, k: 20, authorOf: (i) => author![i] }) : top;
    const x = ndcgAt(ranked, relevant, 10);
    ndcg += x;
    perMember.push(x);
    recall += recallAt(ranked, relevant, 20);
    lists.push(ranked.slice(0, 10));
    n++;
  }
  const candidates = split.candidates ?? Int32Array.from({ length: items }, (_, i) => i);
  return {
    ndcg10: n ? ndcg / n : 0,
    recall20: n ? recall / n : 0,
    coverage: coverage(lists, candidates.length),
    exposureGini: author ? exposureGini(lists, candidates, author) : 0,
    members: n,
    perMember
  };
}
