// Candidate components for the holdout hybrid without time features (eval:recs'
// `hybrid-without-time`): each is added to the hybrid's components, the weights tuned on the
// hybrid's three inner holdout folds of the training rows (tuneWeights, as eval:recs), and the
// blend scored on the 5 seeds' held-out threads, paired with the hybrid as it is. A component with
// a hyperparameter gets it from the inner folds too (its own NDCG@10 there), never from a scored
// split. Also: the hybrid's own components tuned on a smoother objective (NDCG@20, @50, over the
// whole pool) instead of NDCG@10, separate weights for light and heavy members, and each component alone.
// Candidates: RP3β (β ∈ 0, ¼, ½, ¾), EASE at λ ∈ 25…1,000, user-kNN at k ∈ 10…1,000, item-kNN at
// k ∈ 10, 200, the nearest of the member's threads by text (sum of the k highest cosines), the
// members one exchanged replies with on threads the training rows show both in, and the member's
// own answers and comments in those threads as a text query; TF-IDF over character n-grams of words
// (3, 4, 5 or 3–5), for English words a stemmer does not join.
// `npx tsx tests/bench/holdout-components-figures.ts [DATA_ROOT] [community,…] [--families f,…]`; JSON lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { communityDirs, loadSeInteractions, type SeCommunity } from '../../scripts/data/se-interactions';
import { type Catalogue, feedbackOf, fitComponents, holdoutSplit } from '../../workers/recommend/evaluate';
import { fitEase } from '../../workers/recommend/ease';
import type { Feedback, Scorer } from '../../workers/recommend/feedback';
import { ndcgOfPositions, tuneWeights, type ValidationCase } from '../../workers/recommend/hybrid';
import { fitIals } from '../../workers/recommend/ials';
import { fitItemKnn } from '../../workers/recommend/item-knn';
import { fitRp3 } from '../../workers/recommend/rp3';
import { referenceTokens, tokenize } from '../../workers/recommend/tfidf';
import { fitUserKnn } from '../../workers/recommend/user-knn';
import { rawCases, zOf, type RawCase as Raw } from './holdout-cases';

const WITHOUT = ['ials', 'time', 'era', 'earliest'];
const SEEDS = [20261125, 20261126, 20261127, 20261128, 20261129];

/** Candidate families: each member of a family is one setting; the inner folds pick one setting per family. */
const FAMILIES: Record<string, [string, (t: Feedback, cat: Catalogue) => Scorer][]> = {
  rp3: [0, 0.25, 0.5, 0.75].map((beta) => [`rp3 β=${beta}`, (t) => fitRp3(t, { beta })]),
  'ease-λ': [25, 50, 100, 400, 1000].map((lambda) => [`ease λ=${lambda}`, (t) => fitEase(t, { lambda })]),
  'user-knn-k': [10, 100, 1000].map((k) => [`user-knn k=${k}`, (t) => fitUserKnn(t, { k })]),
  'item-knn-k': [10, 200].map((k) => [`item-knn k=${k}`, (t) => fitItemKnn(t, { k })]),
  'text-nearest': [1, 3, 10].map((k) => [`text-nearest k=${k}`, (t, cat) => textNearest(t, cat, k)]),
  'reply-neighbours': (['count', 'log'] as const).map((w) => [`reply-neighbours ${w}`, (t) => replyNeighbours(t, edges, w)]),
  'own-writing': [['own-writing', (t, cat) => ownWriting(t, cat)]],
  ials: [16, 64].map((factors) => [`ials k=${factors}`, (t) => fitIals(t, { factors, seed: 'eval' })]),
  'char-ngrams': (
    [
      [3, 3],
      [4, 4],
      [5, 5],
      [3, 5]
    ] as const
  ).map(([lo, hi]) => [`char-ngrams ${lo}–${hi}`, (t, cat) => charNgrams(t, cat.text ?? [], lo, hi)])
};

/**
 * TF-IDF over character n-grams (n from lo to hi) of each word, padded with a space either side,
 * and CJK runs as the reference's bigrams: "braking" and "brakes" share "brak", where the word
 * tokens share nothing without a stemmer. Weights as the reference's plain TF-IDF (df ≥ 2,
 * (1 + ln count) · ln(N / df), L2-normalised); the member's profile is the sum of their threads'.
 */
function charNgrams(train: Feedback, text: readonly string[], lo: number, hi: number): Scorer {
  const counted = text.map((t) => {
    const m = new Map<string, number>();
    for (const w of referenceTokens(t.toLowerCase())) {
      if (!/^[a-z]/.test(w)) {
        m.set(w, (m.get(w) ?? 0) + 1);
        continue;
      }
      const padded = ` ${w} `;
      for (let n = lo; n <= hi; n++) for (let a = 0; a + n <= padded.length; a++) m.set(padded.slice(a, a + n), (m.get(padded.slice(a, a + n)) ?? 0) + 1);
    }
    return m;
  });
  const df = new Map<string, number>();
  for (const m of counted) for (const g of m.keys()) df.set(g, (df.get(g) ?? 0) + 1);
  const ids = new Map<string, number>();
  const vectors = counted.map((m) => {
    const v = new Map<number, number>();
    let norm = 0;
    for (const [g, c] of m) {
      const d = df.get(g)!;
      if (d < 2) continue;
      const x = (1 + Math.log(c)) * Math.log(text.length / d);
      let id = ids.get(g);
      if (id === undefined) ids.set(g, (id = ids.size));
      v.set(id, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [id, x] of v) v.set(id, x / norm);
    return v;
  });
  const postings: { item: number; w: number }[][] = Array.from({ length: ids.size }, () => []);
  vectors.forEach((v, item) => {
    for (const [id, w] of v) postings[id].push({ item, w });
  });
  return {
    name: 'char-ngrams',
    score(member) {
      const profile = new Map<number, number>();
      for (const i of train.itemsOf(member)) for (const [id, x] of vectors[i]) profile.set(id, (profile.get(id) ?? 0) + x);
      const out = new Float64Array(train.items);
      for (const [id, q] of profile) for (const { item, w } of postings[id]) out[item] += q * w;
      return out;
    }
  };
}

/** What each member wrote (answers and comments) in each thread: member → thread → text. */
let writing = new Map<number, Map<number, string>>();

/**
 * The member's own words, from answers and comments in the threads their training rows show them
 * in, as a TF-IDF query (the content index's vocabulary and idf, sublinear counts) against every
 * thread: what they write about, beside what the threads they took part in are about.
 */
function ownWriting(train: Feedback, cat: Catalogue): Scorer {
  return {
    name: 'own-writing',
    score(member) {
      const texts = writing.get(member);
      if (!texts) return new Float64Array(train.items);
      const tf = new Map<number, number>();
      for (const i of train.itemsOf(member)) {
        const text = texts.get(i);
        if (!text) continue;
        for (const token of tokenize(text)) {
          const id = cat.index.vocabulary.get(token);
          if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
        }
      }
      const query = new Map<number, number>();
      for (const [id, n] of tf) query.set(id, (1 + Math.log(n)) * cat.index.idf[id]);
      return cat.index.scoreAll(query);
    }
  };
}

/** Who replied to whom on which thread (an answer to the question's owner, a comment to the post's owner). */
let edges: { from: number; to: number; item: number }[] = [];
function loadEdges(dir: string, c: SeCommunity) {
  const read = (f: string) => parse(readFileSync(join(dir, f)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
  const posts = read('posts.csv');
  const ids = new Map(c.threadIds.map((id, i) => [String(id), i]));
  const owner = new Map(posts.map((p) => [p.id, p.owner_user_id]));
  const thread = new Map(posts.map((p) => [p.id, ids.get(p.type === 'question' ? p.id : p.parent_id)]));
  // Member index by user id: the rows' members are the sorted ids of interactions.csv.
  const users = [...new Set((read('interactions.csv') as Record<string, string>[]).map((r) => r.user_id))].sort((a, b) => Number(a) - Number(b));
  const memberOf = new Map(users.map((u, i) => [u, i]));
  edges = [];
  const add = (a?: string, b?: string, item?: number) => {
    const x = a ? memberOf.get(a) : undefined;
    const y = b ? memberOf.get(b) : undefined;
    if (x !== undefined && y !== undefined && x !== y && item !== undefined) edges.push({ from: x, to: y, item });
  };
  for (const p of posts) if (p.type === 'answer') add(p.owner_user_id, owner.get(p.parent_id), thread.get(p.id));
  for (const m of read('comments.csv')) add(m.user_id, owner.get(m.post_id), thread.get(m.post_id));
  writing = new Map();
  const write = (user: string | undefined, item: number | undefined, text: string | undefined) => {
    const u = user ? memberOf.get(user) : undefined;
    if (u === undefined || item === undefined || !text) return;
    let m = writing.get(u);
    if (!m) writing.set(u, (m = new Map()));
    m.set(item, `${m.get(item) ?? ''} ${text}`);
  };
  for (const p of posts) if (p.type === 'answer') write(p.owner_user_id, thread.get(p.id), p.body);
  for (const m of read('comments.csv')) write(m.user_id, thread.get(m.post_id), m.text);
}

/**
 * Members u talked with (replies either way) on threads the training rows show both in, each
 * weighed by how often (count) or ln(1 + count): score(j) = Σ over them who touched j. A reply on a
 * thread held out for u is not counted: it would say u was there.
 */
function replyNeighbours(train: Feedback, all: { from: number; to: number; item: number }[], weigh: 'count' | 'log'): Scorer {
  const by: Map<number, number>[] = Array.from({ length: train.members }, () => new Map());
  const has = (u: number, i: number) => {
    const row = train.itemsOf(u);
    let lo = 0;
    let hi = row.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (row[mid] < i) lo = mid + 1;
      else hi = mid;
    }
    return lo < row.length && row[lo] === i;
  };
  for (const e of all)
    if (has(e.from, e.item) && has(e.to, e.item)) {
      by[e.from].set(e.to, (by[e.from].get(e.to) ?? 0) + 1);
      by[e.to].set(e.from, (by[e.to].get(e.from) ?? 0) + 1);
    }
  return {
    name: 'reply-neighbours',
    score(member) {
      const out = new Float64Array(train.items);
      for (const [v, n] of by[member]) {
        const w = weigh === 'count' ? n : Math.log1p(n);
        for (const j of train.itemsOf(v)) out[j] += w;
      }
      return out;
    }
  };
}

/** The sum of the k highest cosines between a thread and the member's threads (k = 1: the nearest one). */
function textNearest(train: Feedback, cat: Catalogue, k: number): Scorer {
  return {
    name: 'text-nearest',
    score(member) {
      const mine = train.itemsOf(member);
      const sims = Array.from(mine, (i) => cat.index.similarTo(i));
      const out = new Float64Array(train.items);
      const top: number[] = [];
      for (let j = 0; j < train.items; j++) {
        top.length = 0;
        for (const s of sims) top.push(s[j]);
        top.sort((a, b) => b - a);
        let x = 0;
        for (let a = 0; a < Math.min(k, top.length); a++) x += top[a];
        out[j] = x;
      }
      return out;
    }
  };
}

/** A case with its components' scores as z-scores. */
type RawCase = Omit<Raw, 'raw'> & { z: Float64Array[] };

function cases(components: Scorer[], items: number, train: Feedback, test: Map<number, Set<number>>, scored: boolean): RawCase[] {
  return rawCases(components, items, (u) => train.itemsOf(u), test, scored).map(({ raw, ...c }) => ({ ...c, z: raw.map(zOf) }));
}

function meanNdcg(cs: RawCase[], cols: number[], w: readonly number[]): number {
  let sum = 0;
  for (const c of cs) {
    const s = new Float64Array(c.pool.length);
    cols.forEach((col, b) => {
      if (w[b]) for (let a = 0; a < s.length; a++) s[a] += w[b] * c.z[col][a];
    });
    sum += ndcgOfPositions(
      s,
      c.pool,
      Array.from(c.pool.keys()).filter((a) => c.relevant.has(c.pool[a]))
    );
  }
  return cs.length ? sum / cs.length : 0;
}

/** NDCG@cut (cut may be Infinity: over the whole pool) of the pool ranked by s, ties by item ascending. */
function ndcgCut(s: Float64Array, pool: Int32Array, rel: readonly number[], cut: number): number {
  let dcg = 0;
  for (const r of rel) {
    let rank = 0;
    for (let a = 0; a < s.length && rank < cut; a++) if (s[a] > s[r] || (s[a] === s[r] && pool[a] < pool[r])) rank++;
    if (rank < cut) dcg += 1 / Math.log2(rank + 2);
  }
  let ideal = 0;
  for (let r = 0; r < Math.min(cut, rel.length); r++) ideal += 1 / Math.log2(r + 2);
  return ideal ? dcg / ideal : 0;
}

/** tuneWeights' coordinate ascent (same grid, start and passes) on NDCG@cut instead of NDCG@10. */
function tuneWith(cs: ValidationCase[], dims: number, cut: number): number[] {
  const rels = cs.map((c) => Array.from(c.pool.keys()).filter((a) => c.relevant.has(c.pool[a])));
  const obj = (w: number[]) => {
    let sum = 0;
    cs.forEach((c, n) => {
      const s = new Float64Array(c.pool.length);
      w.forEach((wb, b) => {
        if (wb) for (let a = 0; a < s.length; a++) s[a] += wb * c.z[b][a];
      });
      sum += ndcgCut(s, c.pool, rels[n], cut);
    });
    return sum / cs.length;
  };
  const varies = Array.from({ length: dims }, (_, b) => cs.some((c) => c.z[b].some((x) => x !== 0)));
  let best = new Array(dims).fill(0);
  let bestScore = -1;
  for (let b = 0; b < dims; b++) {
    if (!varies[b]) continue;
    const w = best.map((_, a) => (a === b ? 1 : 0));
    const s = obj(w);
    if (s > bestScore) [best, bestScore] = [w, s];
  }
  for (let pass = 0; pass < 4; pass++) {
    let improved = false;
    for (let b = 0; b < dims; b++) {
      if (!varies[b]) continue;
      for (const g of [0, 0.1, 0.25, 0.5, 1, 2]) {
        if (g === best[b]) continue;
        const w = [...best];
        w[b] = g;
        if (w.every((x) => x === 0)) continue;
        const s = obj(w);
        if (s > bestScore + 1e-9) [best, bestScore, improved] = [w, s, true];
      }
    }
    if (!improved) break;
  }
  return best;
}

const pick = (cs: RawCase[], cols: number[]): ValidationCase[] => cs.map((c) => ({ ...c, z: cols.map((b) => c.z[b]) }));
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
const r3 = (x: number) => +x.toFixed(3);

const root = process.argv[2] ?? '/work/shared/data';
const only = process.argv[3]?.split(',');
// `--families a,b`: measure only these candidate families (all by default).
const familiesArg = process.argv.indexOf('--families');
if (familiesArg > 0) {
  const keep = new Set(process.argv[familiesArg + 1].split(','));
  for (const f of Object.keys(FAMILIES)) if (!keep.has(f)) delete FAMILIES[f];
}
for (const dir of communityDirs(root)) {
  const c = loadSeInteractions(dir);
  if (only && !only.includes(c.name)) continue;
  loadEdges(dir, c);
  const results: Record<string, number[]> = {};
  const chosen: Record<string, string[]> = {};
  const push = (v: string, x: number) => (results[v] ??= []).push(x);
  for (const seed of SEEDS) {
    const split = holdoutSplit(c.rows, seed);
    const fitAll = (t: Feedback) => {
      const base = fitComponents(t, c.cat, { without: WITHOUT });
      const extra = Object.values(FAMILIES).flatMap((f) => f.map(([name, make]) => ({ ...make(t, c.cat), name })));
      return [...base, ...extra];
    };
    const train = feedbackOf(split.train, c.cat);
    const components = fitAll(train);
    const names = components.map((x) => x.name);
    const baseCols = names.map((_n, b) => b).filter((b) => b < names.length - Object.values(FAMILIES).flat().length);
    const scored = cases(components, c.cat.items, train, split.test, true);
    const inner = [1, 2, 3].flatMap((f) => {
      const s = holdoutSplit(split.train, `${seed}/validation/${f}`);
      const t = feedbackOf(s.train, c.cat);
      return cases(fitAll(t), c.cat.items, t, s.test, false);
    });
    const run = (label: string, cols: number[]) => {
      const w = tuneWeights(
        cols.map((b) => names[b]),
        pick(inner, cols)
      ).weights;
      push(
        label,
        meanNdcg(
          scored,
          cols,
          cols.map((b) => w[names[b]])
        )
      );
    };
    run('hybrid-without-time', baseCols);
    // Weights per activity level: members with at most the inner folds' median of training threads, and the rest.
    {
      const sorted = inner.map((x) => x.seen).sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      const tune = (cs: RawCase[]) => {
        const w = tuneWeights(
          baseCols.map((b) => names[b]),
          pick(cs, baseCols)
        ).weights;
        return baseCols.map((b) => w[names[b]]);
      };
      const light = tune(inner.filter((x) => x.seen <= median));
      const heavy = tune(inner.filter((x) => x.seen > median));
      const lightCases = scored.filter((x) => x.seen <= median);
      const heavyCases = scored.filter((x) => x.seen > median);
      push(
        'hybrid-without-time, weights per activity level',
        (meanNdcg(lightCases, baseCols, light) * lightCases.length + meanNdcg(heavyCases, baseCols, heavy) * heavyCases.length) / scored.length
      );
    }
    for (const cut of [20, 50, Infinity]) {
      const w = tuneWith(pick(inner, baseCols), baseCols.length, cut);
      push(`hybrid-without-time, tuned on NDCG@${cut}`, meanNdcg(scored, baseCols, w));
    }
    for (const b of baseCols) push(`${names[b]} alone`, meanNdcg(scored, [b], [1]));
    const picked: number[] = [];
    for (const [family, settings] of Object.entries(FAMILIES)) {
      // The family's setting with the best NDCG@10 on its own over the inner folds.
      const cols = settings.map(([name]) => names.indexOf(name));
      let best = cols[0];
      let bestScore = -1;
      for (const b of cols) {
        const s = meanNdcg(inner, [b], [1]);
        if (s > bestScore + 1e-12) [best, bestScore] = [b, s];
      }
      (chosen[family] ??= []).push(names[best]);
      picked.push(best);
      push(`${family} alone`, meanNdcg(scored, [best], [1]));
      run(`+ ${family}`, [...baseCols, best]);
    }
    run('+ all', [...baseCols, ...picked]);
  }
  const base = results['hybrid-without-time'];
  for (const [variant, r] of Object.entries(results)) {
    const diff = r.map((x, s) => x - base[s]);
    console.log(
      JSON.stringify({
        data: c.name,
        model: variant,
        'ndcg@10': r3(mean(r)),
        sd: r3(sd(r)),
        vs_hybrid: r3(mean(diff)),
        vs_sd: r3(sd(diff)),
        better: diff.filter((d) => d > 1e-9).length,
        seeds: r.map(r3)
      })
    );
  }
  console.log(JSON.stringify({ data: c.name, chosen }));
}
