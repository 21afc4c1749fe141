// Recommendations inside the app: the implicit-feedback matrix member × thread built from a
// community snapshot (authored, replied, reacted, and this device's private views), the models
// fitted once, then "For you" for one member with an explanation on each thread, and "Related"
// for one thread. The collaborative model is EASE while the catalogue is small enough for its
// n×n weights (Cholesky or Woodbury on flat arrays: Beer's 1,029 threads in ~0.8 s on this
// project's loaded 2-core machine, 6.8 s with the former ml-matrix inverse) and iALS beyond;
// `cf` in the result says which one ranked.
import type { CommunitySnapshot } from '../community/snapshot';
import { fitEase } from './ease';
import { Feedback, topK, type Interaction, type Scorer } from './feedback';
import { blend } from './hybrid';
import { fitIals } from './ials';
import { fitItemKnn, type ItemKnn } from './item-knn';
import { fitPopularity } from './popularity';
import { fitAuthorAffinity, fitTimeProximity, type ItemMeta } from './signals';
import { fitContent, TfIdf } from './tfidf';
import { zScores } from './hybrid';

export const EASE_MAX_ITEMS = 1200;

/** How much each act says about interest in a thread. */
export const ACT_WEIGHT = { authored: 3, replied: 2, reacted: 1, viewed: 0.5 } as const;

/**
 * Blend weights: rounded from the weights tuned on the real community's data under both
 * protocols (npm run eval:recs), with the collaborative models kept in for communities whose
 * members have longer histories than that one's.
 */
export const DEFAULT_WEIGHTS: Record<string, number> = { cf: 0.25, 'item-knn': 0.1, content: 0.5, time: 0.5, era: 0.5, 'author-affinity': 0.25, popularity: 0.1 };
/** Which reason wins a tie between components' shares. */
const REASON_ORDER = ['author-affinity', 'item-knn', 'cf', 'content', 'popularity', 'time', 'era', 'fresh'];
/** A member with no history yet: what the community likes, newest first. */
const COLD_WEIGHTS: Record<string, number> = { popularity: 1, fresh: 0.5 };

export type Explanation =
  | { kind: 'because_replied'; thread: string; title: string }
  | { kind: 'similar_to'; thread: string; title: string }
  | { kind: 'by_contact'; member: string }
  | { kind: 'popular_circle'; count: number }
  | { kind: 'popular'; count: number }
  | { kind: 'co_participants'; count: number }
  | { kind: 'recent' };

export interface Recommendation {
  thread: string;
  title: string;
  author: string;
  createdAt: number;
  score: number;
  explanation: Explanation;
}

export interface RecommenderModel {
  readonly cf: 'ease' | 'ials';
  readonly items: number;
  readonly members: number;
  readonly interactions: number;
  forMember(member: string, k: number): Recommendation[];
  related(thread: string, k: number): Recommendation[];
}

export interface FitOptions {
  /** Force a collaborative model (the bench and tests); by default chosen by catalogue size. */
  cf?: 'ease' | 'ials';
  onProgress?: (done: number, total: number) => void;
}

export function fitRecommender(s: CommunitySnapshot, options: FitOptions = {}): RecommenderModel {
  const memberKeys = [...new Set([...s.members.map((m) => m.key), ...s.threads.map((t) => t.author)])];
  const memberOf = new Map(memberKeys.map((k, i) => [k, i]));
  const threads = [...s.threads].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  const itemOf = new Map(threads.map((t, i) => [t.id, i]));
  const interactions: Interaction[] = [];
  const add = (member: string, thread: string, weight: number, ts: number) => {
    const u = memberOf.get(member);
    const i = itemOf.get(thread);
    if (u !== undefined && i !== undefined) interactions.push({ member: u, item: i, weight, ts });
  };
  for (const t of threads) add(t.author, t.id, ACT_WEIGHT.authored, t.createdAt);
  for (const r of s.replies) add(r.author, r.thread, ACT_WEIGHT.replied, r.createdAt);
  for (const r of s.reactions) add(r.author, r.thread, ACT_WEIGHT.reacted, r.ts);
  for (const v of s.views) add(s.me, v.thread, ACT_WEIGHT.viewed * Math.log2(1 + v.count), v.at);
  const train = new Feedback(memberKeys.length, threads.length, interactions);
  const meta: ItemMeta = {
    created: Float64Array.from(threads, (t) => t.createdAt),
    author: Int32Array.from(threads, (t) => memberOf.get(t.author) ?? -1)
  };
  const progress = options.onProgress ?? (() => {});
  const total = 4;
  const index = new TfIdf(threads.map((t) => `${t.title}\n${t.body}`));
  progress(1, total);
  const cfKind = options.cf ?? (threads.length <= EASE_MAX_ITEMS ? 'ease' : 'ials');
  const cfModel: Scorer =
    cfKind === 'ease'
      ? fitEase(train, { lambda: 200 })
      : fitIals(train, { factors: 16, iterations: 8, reg: 0.1, alpha: 10, seed: s.cid });
  const cf: Scorer = { name: 'cf', score: (u) => cfModel.score(u) };
  progress(2, total);
  const knn: ItemKnn = fitItemKnn(train, { k: 30 });
  progress(3, total);
  const fresh: Scorer = { name: 'fresh', score: () => meta.created };
  const affinity = fitAuthorAffinity(train, meta);
  const components: Scorer[] = [
    cf,
    knn,
    fitContent(train, index),
    fitTimeProximity(train, meta, { scaleDays: 60 }),
    fitTimeProximity(train, meta, { scaleDays: 365, log: true, name: 'era' }),
    affinity,
    fitPopularity(train),
    fresh
  ];
  progress(4, total);
  const ctx = { candidates: null, seen: (u: number) => train.itemsOf(u) };
  const warm = blend(components, DEFAULT_WEIGHTS, threads.length, ctx);
  const cold = blend(components, COLD_WEIGHTS, threads.length, ctx);
  const counts = train.itemCounts();

  const rec = (i: number, score: number, explanation: Explanation): Recommendation => ({
    thread: threads[i].id,
    title: threads[i].title,
    author: threads[i].author,
    createdAt: threads[i].createdAt,
    score,
    explanation
  });

  /** Members who share a thread with u: "members you interact with". */
  const circleOf = (u: number) => {
    const circle = new Set<number>();
    for (const i of train.itemsOf(u)) for (const v of train.membersOf(i)) if (v !== u) circle.add(v);
    return circle;
  };

  function explain(u: number, i: number, parts: { component: string; value: number }[], mine: Int32Array, circle: Set<number>): Explanation {
    // Near-equal shares (z-scores over a short list are often exactly tied) go to the reason a
    // member reads most easily: a person first, then their own threads, then the rest.
    const best = [...parts].sort((a, b) => (Math.abs(b.value - a.value) > 1e-9 ? b.value - a.value : REASON_ORDER.indexOf(a.component) - REASON_ORDER.indexOf(b.component)))[0];
    const strongestOf = (sims: (j: number) => number): number => {
      let pick = -1;
      let top = 0;
      for (const j of mine) {
        const x = sims(j);
        if (x > top) [pick, top] = [j, x];
      }
      return pick;
    };
    switch (best?.component) {
      case 'cf':
      case 'item-knn': {
        const neighbours = new Map(knn.neighbours(i).map((n) => [n.item, n.sim]));
        const j = strongestOf((x) => neighbours.get(x) ?? 0);
        if (j >= 0) return { kind: 'because_replied', thread: threads[j].id, title: threads[j].title };
        break;
      }
      case 'content': {
        const j = strongestOf((x) => index.cosine(i, x));
        if (j >= 0) return { kind: 'similar_to', thread: threads[j].id, title: threads[j].title };
        break;
      }
      case 'author-affinity':
        if (meta.author[i] >= 0 && affinity.tie(u, meta.author[i]) > 0) return { kind: 'by_contact', member: memberKeys[meta.author[i]] };
        break;
      case 'time':
      case 'era':
      case 'fresh':
        return { kind: 'recent' };
    }
    const inCircle = Array.from(train.membersOf(i)).filter((v) => circle.has(v)).length;
    return inCircle > 0 ? { kind: 'popular_circle', count: inCircle } : { kind: 'popular', count: counts[i] };
  }

  return {
    cf: cfKind,
    items: threads.length,
    members: memberKeys.length,
    interactions: train.nnz,
    forMember(member, k) {
      const u = memberOf.get(member);
      if (u === undefined) {
        // Not in the matrix (e.g. a device that only imported the community): popular, newest first.
        const pool = Int32Array.from(threads.keys());
        const z1 = zScores(counts, pool);
        const z2 = zScores(meta.created, pool);
        const score = Float64Array.from(pool, (_, a) => z1[a] + 0.5 * z2[a]);
        return topK(score, k, null).map((i) => rec(i, score[i], { kind: 'popular', count: counts[i] }));
      }
      const mine = train.itemsOf(u);
      const model = mine.length ? warm : cold;
      const circle = circleOf(u);
      return model.rank(u, k).map((r) => rec(r.item, r.score, mine.length ? explain(u, r.item, r.parts, mine, circle) : { kind: 'popular', count: counts[r.item] }));
    },
    related(thread, k) {
      const i = itemOf.get(thread);
      if (i === undefined) return [];
      const content = index.similarTo(i);
      const co = new Float64Array(threads.length);
      for (const n of knn.neighbours(i)) co[n.item] = n.sim;
      const pool = Int32Array.from(threads.keys()).filter((j) => j !== i);
      const zc = zScores(content, pool);
      const zk = zScores(co, pool);
      const score = new Float64Array(threads.length).fill(-1e9);
      pool.forEach((j, a) => (score[j] = zc[a] + zk[a]));
      const takers = new Set(train.membersOf(i));
      return topK(score, k, null, pool).map((j) => {
        const both = Array.from(train.membersOf(j)).filter((v) => takers.has(v)).length;
        // Shared people are the more concrete reason once there are two of them.
        return rec(j, score[j], both >= 2 || (both > 0 && content[j] === 0) ? { kind: 'co_participants', count: both } : { kind: 'similar_to', thread: threads[i].id, title: threads[i].title });
      });
    }
  };
}
