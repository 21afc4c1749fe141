// Recommendations inside the app: the implicit-feedback matrix member × thread built from a
// community snapshot (authored, replied, reacted, and this device's private views), the models
// fitted once, then "For you" for one member with an explanation on each thread, and "Related"
// for one thread. The collaborative model is EASE while the catalogue is small enough for its
// n×n weights (Cholesky or Woodbury on flat arrays: Beer's 1,029 threads in ~0.8 s on this
// project's loaded 2-core machine, 6.8 s with the former ml-matrix inverse) and iALS beyond;
// `cf` in the result says which one ranked. The threads of the last four weeks are ranked first by
// the feed ranker (rolling.ts: pairwise logistic regression over recency, activity, text, people
// and collaborative features, learned from this community's own history week by week) when the
// history holds enough weeks and fits the analysis budget; `ranker` in the result says so.
import type { CommunitySnapshot } from '../community/snapshot';
import { fitEase } from './ease';
import { Feedback, topK, type Interaction, type Scorer } from './feedback';
import { blend } from './hybrid';
import { fitIals } from './ials';
import { fitItemKnn, type ItemKnn } from './item-knn';
import { fitPopularity } from './popularity';
import { fitAuthorAffinity, fitTimeProximity, type ItemMeta } from './signals';
import { fitContent, TfIdf } from './tfidf';
import { FEATURES, fitFeedRanker, rankByScore, type FeedRanker, type RollingInput } from './rolling';
import type { Row } from './evaluate';
import { zScores } from './hybrid';
import { DIVERSITY_LAMBDA, DIVERSITY_POOL, diversify } from './diversify';
import { standardise } from './ranker';

export const EASE_MAX_ITEMS = 1200;
/**
 * The feed ranker replays every week of the history: 4.7–5.4 s for Beer's 7,356 interactions on
 * this project's 2-core machine at load average 11, so it is trained up to this many interactions.
 */
export const RANKER_MAX_INTERACTIONS = 15_000;

/** Which reason each of the ranker's features stands for (a component name of REASON_ORDER). */
const FEATURE_REASON: Record<(typeof FEATURES)[number], string> = {
  newest: 'fresh',
  live: 'fresh',
  age: 'fresh',
  'touches-24h': 'fresh',
  'touches-7d': 'fresh',
  'since-visit': 'fresh',
  'after-visit': 'fresh',
  'age-habit': 'fresh',
  'author-back': 'fresh',
  popular: 'popularity',
  'author-pull': 'popularity',
  unanswered: 'popularity',
  'answerer-unanswered': 'popularity',
  answers: 'popularity',
  comments: 'popularity',
  accepted: 'popularity',
  votes: 'popularity',
  social: 'popularity',
  ease: 'cf',
  'item-knn': 'item-knn',
  tfidf: 'content',
  bm25: 'content',
  tags: 'content',
  'answers-author': 'author-affinity',
  'answered-by-author': 'author-affinity',
  'touches-3d': 'fresh',
  'votes-2d': 'fresh',
  newcomers: 'fresh',
  // People the member talks with or shares threads with took part: "popular in your circle".
  ties: 'popularity',
  'ties-recent': 'popularity',
  peers: 'popularity',
  'recent-text': 'content',
  featured: 'popularity',
  favourited: 'popularity',
  'newest-position': 'fresh',
  'active-position': 'fresh',
  // Newcomers' copies: zero for any member with history, whose lists alone are explained.
  'cold-newest': 'fresh',
  'cold-live': 'fresh',
  'cold-popular': 'popularity',
  'cold-touches-24h': 'fresh',
  'cold-touches-3d': 'fresh',
  'cold-votes': 'popularity',
  'cold-votes-2d': 'fresh',
  'cold-newcomers': 'fresh',
  'cold-unanswered': 'popularity',
  'cold-answers': 'popularity',
  'cold-comments': 'popularity',
  // The thread's standing and its asker's: how the community received it.
  'question-downvotes': 'popularity',
  closing: 'popularity',
  'asker-acts': 'popularity',
  'asker-new': 'popularity'
};

/** How much each act says about interest in a thread. */
export const ACT_WEIGHT = { authored: 3, replied: 2, reacted: 1, viewed: 0.5 } as const;

/**
 * Blend weights: rounded from the weights tuned on the real community's data under both
 * protocols (npm run eval:recs), with the collaborative models kept in for communities whose
 * members have longer histories than that one's.
 */
export const DEFAULT_WEIGHTS: Record<string, number> = {
  cf: 0.25,
  'item-knn': 0.1,
  content: 0.5,
  time: 0.5,
  era: 0.5,
  'author-affinity': 0.25,
  popularity: 0.1
};
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

/** The feed ranker, when it ranks the newest threads: what it learned from. */
export interface RankerInfo {
  /** Weeks of history replayed and (member, week) lists it learned from. */
  weeks: number;
  lists: number;
  l2: number;
}

export interface RecommenderModel {
  readonly cf: 'ease' | 'ials';
  /** Null when the blend alone ranks (history too short, or too large for the analysis budget). */
  readonly ranker: RankerInfo | null;
  readonly items: number;
  readonly members: number;
  readonly interactions: number;
  forMember(member: string, k: number): Recommendation[];
  related(thread: string, k: number): Recommendation[];
}

export interface FitOptions {
  /** Force a collaborative model (the bench and tests); by default chosen by catalogue size. */
  cf?: 'ease' | 'ials';
  /** Train the feed ranker (default: when the history has at most RANKER_MAX_INTERACTIONS interactions). */
  ranker?: boolean;
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
  const shared = interactions.length;
  for (const v of s.views) add(s.me, v.thread, ACT_WEIGHT.viewed * Math.log2(1 + v.count), v.at);
  const train = new Feedback(memberKeys.length, threads.length, interactions);
  const meta: ItemMeta = {
    created: Float64Array.from(threads, (t) => t.createdAt),
    author: Int32Array.from(threads, (t) => memberOf.get(t.author) ?? -1)
  };
  const progress = options.onProgress ?? (() => {});
  const total = 5;
  const index = new TfIdf(threads.map((t) => `${t.title}\n${t.body}`));
  progress(1, total);
  const cfKind = options.cf ?? (threads.length <= EASE_MAX_ITEMS ? 'ease' : 'ials');
  const cfModel: Scorer =
    cfKind === 'ease' ? fitEase(train, { lambda: 200 }) : fitIals(train, { factors: 16, iterations: 8, reg: 0.1, alpha: 10, seed: s.cid });
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
  // The feed ranker learns from what every member did (this device's private views stay out).
  const useRanker = options.ranker ?? shared <= RANKER_MAX_INTERACTIONS;
  const feed: FeedRanker | null = useRanker
    ? fitFeedRanker(rollingInputOf(s, threads, memberOf, interactions.slice(0, shared), meta, index), asOf(interactions) + 1, { ease: cfKind === 'ease' })
    : null;
  progress(5, total);
  // The creator's diversity setting: each list re-ranked by maximal marginal relevance over the
  // model's top DIVERSITY_POOL × k (diversify.ts; eval:recs shows each setting's effect).
  const lambda = DIVERSITY_LAMBDA[s.diversity ?? 'off'];
  const spread = (list: Recommendation[], k: number) => diversify(list, { lambda, k, authorOf: (r) => r.author });
  const poolOf = (k: number) => (lambda > 0 ? k * DIVERSITY_POOL : k);
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
    const best = [...parts].sort((a, b) =>
      Math.abs(b.value - a.value) > 1e-9 ? b.value - a.value : REASON_ORDER.indexOf(a.component) - REASON_ORDER.indexOf(b.component)
    )[0];
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

  /** The newest threads for u, ranked by the feed ranker and explained by the features that lifted them most. */
  function fromFeed(u: number, k: number): Recommendation[] {
    if (!feed) return [];
    const list = feed.listOf(u);
    const seen = new Set(train.itemsOf(u));
    const keep = Array.from(list.candidates.keys()).filter((c) => !seen.has(list.candidates[c]));
    if (!keep.length) return [];
    const features = keep.map((c) => list.features[c]);
    const candidates = Int32Array.from(keep, (c) => list.candidates[c]);
    const scores = feed.model.score(features);
    const z = standardise(features);
    const byItem = new Map(Array.from(candidates, (i, c) => [i, c]));
    const mine = train.itemsOf(u);
    const circle = circleOf(u);
    return rankByScore(candidates, scores)
      .slice(0, k)
      .map((i) => {
        const c = byItem.get(i)!;
        const parts = new Map<string, number>();
        FEATURES.forEach((name, f) => parts.set(FEATURE_REASON[name], (parts.get(FEATURE_REASON[name]) ?? 0) + feed.model.weights[f] * z[c][f]));
        const explanation = mine.length
          ? explain(
              u,
              i,
              [...parts].map(([component, value]) => ({ component, value })),
              mine,
              circle
            )
          : { kind: 'popular' as const, count: counts[i] };
        return rec(i, scores[c], explanation);
      });
  }

  return {
    cf: cfKind,
    ranker: feed && { weeks: feed.weeks, lists: feed.lists, l2: feed.l2 },
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
        return spread(
          topK(score, poolOf(k), null).map((i) => rec(i, score[i], { kind: 'popular', count: counts[i] })),
          k
        );
      }
      const mine = train.itemsOf(u);
      const model = mine.length ? warm : cold;
      const circle = circleOf(u);
      const n = poolOf(k);
      // The newest threads as the ranker orders them, then older ones as the blend does.
      const newest = fromFeed(u, n);
      const taken = new Set(newest.map((r) => r.thread));
      const rest = model
        .rank(u, n + newest.length)
        .filter((r) => !taken.has(threads[r.item].id))
        .slice(0, n - newest.length)
        .map((r) => rec(r.item, r.score, mine.length ? explain(u, r.item, r.parts, mine, circle) : { kind: 'popular', count: counts[r.item] }));
      return spread([...newest, ...rest], k);
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
        return rec(
          j,
          score[j],
          both >= 2 || (both > 0 && content[j] === 0)
            ? { kind: 'co_participants', count: both }
            : { kind: 'similar_to', thread: threads[i].id, title: threads[i].title }
        );
      });
    }
  };
}

/** The latest interaction: the moment "now" is for a community whose history may have stopped. */
function asOf(interactions: readonly Interaction[]): number {
  let last = -Infinity;
  for (const x of interactions) if (x.ts > last) last = x.ts;
  return last;
}

/** The snapshot as the rolling replay reads it: acts as rows with their kind, replies as who answered whom, reactions as votes. */
function rollingInputOf(
  s: CommunitySnapshot,
  threads: CommunitySnapshot['threads'],
  memberOf: Map<string, number>,
  interactions: readonly Interaction[],
  meta: ItemMeta,
  index: TfIdf
): RollingInput {
  const kindOf = (w: number) => (w === ACT_WEIGHT.authored ? 'asked' : w === ACT_WEIGHT.replied ? 'answered' : 'reacted');
  const rows: Row[] = interactions.map((x) => ({ member: x.member, item: x.item, ts: x.ts, weight: x.weight }));
  const itemOf = new Map(threads.map((t, i) => [t.id, i]));
  const replies = [];
  for (const r of s.replies) {
    const from = memberOf.get(r.author);
    const to = r.parentAuthor === null ? undefined : memberOf.get(r.parentAuthor);
    if (from !== undefined && to !== undefined && from !== to) replies.push({ from, to, ts: r.createdAt });
  }
  replies.sort((a, b) => a.ts - b.ts);
  const votes = [];
  for (const r of s.reactions) {
    const item = itemOf.get(r.thread);
    if (item !== undefined) votes.push({ item, ts: r.ts });
  }
  return {
    rows,
    kinds: interactions.map((x) => kindOf(x.weight)),
    cat: { members: memberOf.size, items: threads.length, meta, index },
    text: threads.map((t) => `${t.title} ${t.body}`.toLowerCase()),
    tags: threads.map(() => []),
    replies,
    votes
  };
}
