// The rolling protocol of the shared data's EVALUATION.md (the live "For you" feed): every week t
// after the cut-off, rank the threads created in the 28 days before t for each member who touches
// one of them in the next 7 days, with models fitted on interactions before t only. Beside the
// reference models (oldest-, newest-first, popular-so-far, EASE, TF-IDF, social and the two tuned
// hybrids, exactly as specified, so the figures compare with the reference implementation), the
// learned ranker: pairwise logistic regression over per-candidate features, fitted at week k on
// the lists of weeks before k only.
import type { Catalogue, Row } from './evaluate';
import { PairStore, pairDifferences, standardise, type PairwiseModel } from './ranker';
import { referenceTokens, tokenize } from './tfidf';
import { coverage, exposureGini } from './metrics';
import { diversify, diversityModel } from './diversify';

const DAY = 86_400_000;

export interface ReplyEdge {
  /** Member indices: `from` answered or commented on a post by `to`. */
  from: number;
  to: number;
  ts: number;
}

export interface RollingInput {
  rows: Row[];
  cat: Catalogue;
  /** Lower-cased title + tags + body per thread. */
  text: string[];
  tags: string[][];
  replies: ReplyEdge[];
  /** Interaction kind of each row (asked, answered, commented, accepted), when known. */
  kinds?: string[];
  /** Up-votes on a thread's posts, each at the end of the day it was cast (votes carry a date only). */
  votes?: { item: number; ts: number }[];
  /** Threads a member marked as a favourite (bookmarked), from the end of the day marked. */
  favourites?: { member: number; item: number; ts: number }[];
  /** Spans in which a thread was featured (pinned, or a bounty open on it): [from, to). */
  featured?: { item: number; from: number; to: number }[];
  /** Down-votes on a thread's question, each at the end of the day it was cast. */
  downvotes?: { item: number; ts: number }[];
  /** Comments on a thread's posts that call it off-topic, a duplicate, on hold or to be closed, at their time. */
  closing?: { item: number; ts: number }[];
}

/** One candidate list: a (member, week) pair. Candidates are item indices, ascending (thread id order). */
export interface RollingPair {
  step: number;
  member: number;
  warm: boolean;
  candidates: Int32Array;
  relevant: Set<number>;
  /** features[c]: the ranker's features of candidate c (FEATURES order). */
  features: Float64Array[];
  /**
   * Evaluation only, never a feature: how many other members touch candidate c in the week
   * being predicted (what no model can know at t; it measures the room any ranker has).
   */
  nextWeek?: Float64Array;
}

/**
 * Thread features repeated for members without history (0 for the others): a newcomer's list has
 * no personal signal, and what brings newcomers (a thread spreading outside) is not what a regular
 * answers, so these let the ranker weigh the thread's state differently for them.
 */
const COLD = ['newest', 'live', 'popular', 'touches-24h', 'touches-3d', 'votes', 'votes-2d', 'newcomers', 'unanswered', 'answers', 'comments'] as const;

/** Every per-candidate feature computed (the ranker uses RANKER_FEATURES of them). */
export const FEATURES = [
  'newest',
  'live',
  'popular',
  'ease',
  'item-knn',
  'tfidf',
  'bm25',
  'tags',
  'social',
  'answers-author',
  'answered-by-author',
  'author-pull',
  'age',
  'touches-24h',
  'unanswered',
  'answerer-unanswered',
  'since-visit',
  'after-visit',
  'age-habit',
  'answers',
  'comments',
  'accepted',
  'votes',
  'touches-7d',
  'author-back',
  'touches-3d',
  'votes-2d',
  'newcomers',
  'ties',
  'ties-recent',
  'peers',
  'recent-text',
  'featured',
  'favourited',
  'newest-position',
  'active-position',
  ...COLD.map((f) => `cold-${f}` as const),
  'question-downvotes',
  'closing',
  'asker-acts',
  'asker-new'
] as const;
export type Feature = (typeof FEATURES)[number];
/** The features the ranker weighs (the first 25; the others are CANDIDATE_GROUPS). */
export const RANKER_FEATURES: readonly Feature[] = FEATURES.slice(0, FEATURES.indexOf('touches-3d'));
/** Their columns, the `use` of every ranker fit. */
export const RANKER_COLUMNS: readonly number[] = RANKER_FEATURES.map((_, f) => f);
/** Column of each feature in a candidate's vector. */
const F = Object.fromEntries(FEATURES.map((n, f) => [n, f])) as Record<Feature, number>;
export const TIME_FEATURES: string[] = [
  'newest',
  'live',
  'age',
  'touches-24h',
  'since-visit',
  'after-visit',
  'age-habit',
  'touches-7d',
  'author-back',
  'touches-3d',
  'votes-2d',
  'newcomers',
  'ties-recent',
  'recent-text',
  'featured',
  'newest-position',
  'active-position',
  ...COLD.filter((f) => ['newest', 'live', 'touches-24h', 'touches-3d', 'votes-2d', 'newcomers'].includes(f)).map((f) => `cold-${f}`)
];
/** Ablations: the ranker without each group of its features. */
export const FEATURE_GROUPS: Record<string, string[]> = {
  time: TIME_FEATURES.filter((f) => RANKER_FEATURES.includes(f as Feature)),
  popular: ['popular', 'author-pull', 'unanswered', 'answerer-unanswered', 'answers', 'comments', 'accepted', 'votes'],
  visit: ['since-visit', 'after-visit', 'age-habit'],
  thread: ['answers', 'comments', 'accepted', 'votes', 'touches-7d', 'author-back'],
  collaborative: ['ease', 'item-knn'],
  text: ['tfidf', 'bm25'],
  tags: ['tags'],
  social: ['social', 'answers-author', 'answered-by-author']
};

/**
 * Candidate features computed and measured but left out of the ranker: each group added to it on
 * its own ("ranker-with-…" rows of eval:recs) fell within noise or below it on both communities'
 * rolling weeks (README, "For you" figures), while every one raises the in-sample fit, so they
 * carry little that holds from one period to the next. Kept measured so a community where they
 * do help shows it.
 */
export const CANDIDATE_GROUPS: Record<string, string[]> = {
  velocity: ['touches-3d', 'votes-2d'],
  newcomers: ['newcomers', 'cold-newcomers'],
  ties: ['ties', 'ties-recent', 'peers'],
  'recent-text': ['recent-text'],
  featured: ['featured', 'favourited'],
  position: ['newest-position', 'active-position'],
  cold: COLD.map((f) => `cold-${f}`),
  quality: ['question-downvotes', 'closing'],
  asker: ['asker-acts', 'asker-new']
};

/** The reference models' scores, computed from the features where they coincide. */
const REFERENCE = { newest: 0, popular: 2, ease: 3, tfidf: 5, social: 8 } as const;

const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

/** Ranks candidates (id order) by score descending, ties by id: a stable sort of the id-ordered list. */
export function rankByScore(candidates: Int32Array, scores: ArrayLike<number>): number[] {
  const order = Array.from(candidates.keys());
  const s = Array.from({ length: candidates.length }, (_, c) => round9(scores[c]));
  order.sort((a, b) => s[b] - s[a] || a - b);
  return order.map((c) => candidates[c]);
}

export function ndcg10(ranked: readonly number[], relevant: ReadonlySet<number>): number {
  let dcg = 0;
  for (let r = 0; r < Math.min(10, ranked.length); r++) if (relevant.has(ranked[r])) dcg += 1 / Math.log2(r + 2);
  let ideal = 0;
  for (let r = 0; r < Math.min(10, relevant.size); r++) ideal += 1 / Math.log2(r + 2);
  return ideal ? dcg / ideal : 0;
}

export function recall10(ranked: readonly number[], relevant: ReadonlySet<number>): number {
  let hits = 0;
  for (let r = 0; r < Math.min(10, ranked.length); r++) if (relevant.has(ranked[r])) hits++;
  return relevant.size ? hits / Math.min(10, relevant.size) : 0;
}

export { referenceTokens };

/** How many of the ascending times are at or after `from`. */
function countSince(times: readonly number[], from: number): number {
  let n = 0;
  for (let k = times.length - 1; k >= 0 && times[k] >= from; k--) n++;
  return n;
}

/** How many of the ascending times are before `to`. */
function countBefore(times: readonly number[], to: number): number {
  let n = 0;
  while (n < times.length && times[n] < to) n++;
  return n;
}

function counts(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * Column j of (XᵀX + λI)⁻¹ by conjugate gradients on the sparse X (rows: each member's items).
 * XᵀX + λI has every eigenvalue in [λ, λ + ‖X‖²], so with λ = 200 a few dozen iterations reach
 * machine precision: one factorisation-free solve per candidate instead of an n×n inverse per week.
 */
export function gramInverseColumn(rowsOf: readonly (readonly number[])[], items: number, lambda: number, j: number): Float64Array {
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < items; i++) out[i] = lambda * v[i];
    for (const row of rowsOf) {
      if (row.length === 0) continue;
      let s = 0;
      for (const i of row) s += v[i];
      if (s !== 0) for (const i of row) out[i] += s;
    }
  };
  const x = new Float64Array(items);
  const r = new Float64Array(items);
  r[j] = 1;
  const p = r.slice();
  const ap = new Float64Array(items);
  let rr = 1;
  for (let it = 0; it < 500 && rr > 1e-26; it++) {
    apply(p, ap);
    let pap = 0;
    for (let i = 0; i < items; i++) pap += p[i] * ap[i];
    const alpha = rr / pap;
    let next = 0;
    for (let i = 0; i < items; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
      next += r[i] * r[i];
    }
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < items; i++) p[i] = r[i] + beta * p[i];
  }
  return x;
}

export interface RollingOptions {
  cutoff: number;
  lambda?: number;
  /** Progress: (steps done, steps in all). */
  onStep?: (done: number, total: number) => void;
  /** Also build the state at this moment (after the last step) and return `at`: any member's list then. */
  rankAt?: number;
  /** EASE columns by conjugate gradients (default true); off, the ease feature is 0 (large communities). */
  ease?: boolean;
}

export interface RollingSteps {
  /** Steps k (k < 0: tuning and training only), their time, window size and pairs. */
  steps: { k: number; t: number; window: number; pairs: RollingPair[] }[];
  /** With `rankAt`: member u's candidates (the threads of the 28 days before it they have not touched) and features, relevant empty. */
  at: ((u: number) => RollingPair) | null;
}

/** Replays the weeks from the first interaction to the last and builds every step's pairs with their features. */
export function rollingSteps(input: RollingInput, options: RollingOptions): RollingSteps {
  const { rows, cat } = input;
  const lambda = options.lambda ?? 200;
  const useEase = options.ease ?? true;
  const order = Array.from(rows.keys()).sort((a, b) => rows[a].ts - rows[b].ts || a - b);
  const sorted = order.map((n) => rows[n]);
  const kindOf = order.map((n) => input.kinds?.[n] ?? '');
  const votes = [...(input.votes ?? [])].sort((a, b) => a.ts - b.ts);
  // Signs that a question is unwelcome: down-votes on it (from the end of their day), closing comments.
  const downvoteTimes: number[][] = Array.from({ length: cat.items }, () => []);
  for (const v of [...(input.downvotes ?? [])].sort((a, b) => a.ts - b.ts)) downvoteTimes[v.item].push(v.ts);
  const closingTimes: number[][] = Array.from({ length: cat.items }, () => []);
  for (const x of [...(input.closing ?? [])].sort((a, b) => a.ts - b.ts)) closingTimes[x.item].push(x.ts);
  const first = sorted[0].ts;
  const last = sorted[sorted.length - 1].ts;
  const kMin = Math.floor((first - options.cutoff) / (7 * DAY));
  const kMax = Math.floor((last - options.cutoff) / (7 * DAY));
  const created = cat.meta.created;
  const author = cat.meta.author;
  const byCreation = Array.from(created.keys()).sort((a, b) => created[a] - created[b] || a - b);
  const refTokens = input.text.map((t) => counts(referenceTokens(t)));
  const bmTokens = input.text.map((t) => counts(tokenize(t)));
  const bmLength = bmTokens.map((m) => [...m.values()].reduce((a, b) => a + b, 0));

  // State before t, grown as t advances.
  const itemsOf: number[][] = Array.from({ length: cat.members }, () => []);
  const touched: Set<number>[] = Array.from({ length: cat.members }, () => new Set());
  const membersOf: Set<number>[] = Array.from({ length: cat.items }, () => new Set());
  const lastTouch = new Float64Array(cat.items).fill(-Infinity);
  const touchTimes: number[][] = Array.from({ length: cat.items }, () => []);
  const answered = new Float64Array(cat.members);
  const acts = new Float64Array(cat.members);
  const neighbours: Set<number>[] = Array.from({ length: cat.members }, () => new Set());
  const repliedTo: Map<number, number>[] = Array.from({ length: cat.members }, () => new Map());
  const lastActive = new Float64Array(cat.members).fill(-Infinity);
  // Per member: Σ and count of log(hours) of a thread's age when they touched someone else's thread.
  const habitSum = new Float64Array(cat.members);
  const habitN = new Float64Array(cat.members);
  const answers = new Float64Array(cat.items);
  const comments = new Float64Array(cat.items);
  const accepted = new Uint8Array(cat.items);
  const upvotes = new Float64Array(cat.items);
  const voteTimes: number[][] = Array.from({ length: cat.items }, () => []);
  let vote = 0;
  // First touches of members new to the community (their first row anywhere), per thread.
  const newcomerTimes: number[][] = Array.from({ length: cat.items }, () => []);
  // Conversation ties: replies exchanged either way, and the last one's time.
  const ties: Map<number, number>[] = Array.from({ length: cat.members }, () => new Map());
  const tieLast: Map<number, number>[] = Array.from({ length: cat.members }, () => new Map());
  // The member's last touch of each thread (their recent interests).
  const touchedAt: Map<number, number>[] = Array.from({ length: cat.members }, () => new Map());
  const favourites = [...(input.favourites ?? [])].sort((a, b) => a.ts - b.ts);
  const favourite: Set<number>[] = Array.from({ length: cat.members }, () => new Set());
  let fav = 0;
  const featuredSpans: { from: number; to: number }[][] = Array.from({ length: cat.items }, () => []);
  for (const x of input.featured ?? []) featuredSpans[x.item].push(x);
  const refDf = new Map<string, number>();
  const bmDf = new Map<string, number>();
  const tagDf = new Map<string, number>();
  let corpus = 0;
  let corpusLength = 0;
  let row = 0;
  let reply = 0;
  let nextThread = 0;

  /** Takes in every interaction, reply, vote and thread before t. */
  const advance = (t: number) => {
    while (row < sorted.length && sorted[row].ts < t) {
      const kind = kindOf[row];
      const { member: u, item: i, ts, weight } = sorted[row++];
      touchTimes[i].push(ts);
      if (acts[u] === 0) newcomerTimes[i].push(ts);
      touchedAt[u].set(i, ts);
      lastActive[u] = Math.max(lastActive[u], ts);
      if (author[i] !== u) {
        habitSum[u] += Math.log1p(Math.max(0, ts - created[i]) / 3_600_000);
        habitN[u]++;
      }
      if (kind === 'answered' || (kind === '' && weight === 2)) answers[i]++;
      else if (kind === 'commented') comments[i]++;
      else if (kind === 'accepted') accepted[i] = 1;
      acts[u]++;
      if (weight === 2) answered[u]++;
      if (!touched[u].has(i)) {
        touched[u].add(i);
        itemsOf[u].push(i);
        membersOf[i].add(u);
      }
      lastTouch[i] = Math.max(lastTouch[i], ts);
    }
    while (reply < input.replies.length && input.replies[reply].ts < t) {
      const { from, to } = input.replies[reply++];
      neighbours[from].add(to);
      neighbours[to].add(from);
      repliedTo[from].set(to, (repliedTo[from].get(to) ?? 0) + 1);
      const { ts } = input.replies[reply - 1];
      for (const [a, b] of [
        [from, to],
        [to, from]
      ]) {
        ties[a].set(b, (ties[a].get(b) ?? 0) + 1);
        tieLast[a].set(b, ts);
      }
    }
    while (vote < votes.length && votes[vote].ts <= t) {
      const { item, ts } = votes[vote++];
      upvotes[item]++;
      voteTimes[item].push(ts);
    }
    while (fav < favourites.length && favourites[fav].ts <= t) favourite[favourites[fav].member].add(favourites[fav++].item);
    while (nextThread < byCreation.length && created[byCreation[nextThread]] < t) {
      const i = byCreation[nextThread++];
      for (const w of refTokens[i].keys()) refDf.set(w, (refDf.get(w) ?? 0) + 1);
      for (const w of bmTokens[i].keys()) bmDf.set(w, (bmDf.get(w) ?? 0) + 1);
      for (const g of input.tags[i]) tagDf.set(g, (tagDf.get(g) ?? 0) + 1);
      corpus++;
      corpusLength += bmLength[i];
    }
  };
  const windowAt = (t: number) => {
    const window: number[] = [];
    for (let i = 0; i < cat.items; i++) if (created[i] >= t - 28 * DAY && created[i] < t) window.push(i);
    return window;
  };
  /** The models of one moment t (state advanced to t): a function giving member u's candidate list with its features. */
  const listsAt = (t: number, window: number[]) => {
    const inWindow = new Set(window);
    // EASE columns of the window's threads, solved when first asked for.
    const easeColumns = new Map<number, Float64Array>();
    const easeOf = (j: number) => {
      let c = easeColumns.get(j);
      if (!c) easeColumns.set(j, (c = gramInverseColumn(itemsOf, cat.items, lambda, j)));
      return c;
    };
    const refVector = new Map<number, Map<string, number>>();
    const refVectorOf = (i: number) => {
      let v = refVector.get(i);
      if (v) return v;
      v = new Map();
      let norm = 0;
      for (const [w, c] of refTokens[i]) {
        const df = refDf.get(w) ?? 0;
        if (df < 2) continue;
        const x = (1 + Math.log(c)) * Math.log(corpus / df);
        v.set(w, x);
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (const [w, x] of v) v.set(w, x / norm);
      refVector.set(i, v);
      return v;
    };
    const avgLength = corpusLength / Math.max(1, corpus);
    // Where a thread stands on the community's "newest" and "active" pages at t: how many threads
    // were created after it, and how many (of any age) were touched after its last touch.
    const lastTouches = Float64Array.from(lastTouch).sort();
    const activeAbove = (j: number) => {
      const x = lastTouch[j] > -Infinity ? lastTouch[j] : created[j];
      let lo = 0;
      let hi = lastTouches.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lastTouches[mid] <= x) lo = mid + 1;
        else hi = mid;
      }
      return lastTouches.length - lo;
    };
    const newerThan = (j: number) => window.filter((i) => created[i] > created[j]).length;
    const pullOf = new Map<number, number>();
    const authorPull = (a: number) => {
      if (a < 0) return 0;
      let p = pullOf.get(a);
      if (p !== undefined) return p;
      let sum = 0;
      let n = 0;
      for (const i of itemsOf[a])
        if (author[i] === a && !inWindow.has(i)) {
          sum += membersOf[i].size;
          n++;
        }
      p = Math.log1p((sum + 1) / (n + 1));
      pullOf.set(a, p);
      return p;
    };

    return (k: number, u: number, relevant: Set<number>): RollingPair => {
      const candidates = Int32Array.from(window.filter((i) => !touched[u].has(i)));
      const mine = itemsOf[u];
      // Profiles of the member: reference TF-IDF sum, BM25 query terms, tags.
      const profile = new Map<string, number>();
      for (const i of mine) for (const [w, x] of refVectorOf(i)) profile.set(w, (profile.get(w) ?? 0) + x);
      const query = new Map<string, number>();
      for (const i of mine) for (const w of bmTokens[i].keys()) query.set(w, (query.get(w) ?? 0) + 1);
      const myTags = new Map<string, number>();
      for (const i of mine) for (const g of input.tags[i]) myTags.set(g, (myTags.get(g) ?? 0) + 1);
      // The same TF-IDF profile over the threads the member touched in the last 28 days only.
      const recentProfile = new Map<string, number>();
      for (const i of mine)
        if ((touchedAt[u].get(i) ?? -Infinity) >= t - 28 * DAY) for (const [w, x] of refVectorOf(i)) recentProfile.set(w, (recentProfile.get(w) ?? 0) + x);
      // Co-participants: how many threads each other member shares with this one.
      const shared = new Map<number, number>();
      for (const i of mine) for (const v of membersOf[i]) if (v !== u) shared.set(v, (shared.get(v) ?? 0) + 1);
      const features = Array.from(candidates, (j) => {
        const f = new Float64Array(FEATURES.length);
        f[0] = (created[j] - t) / DAY;
        f[1] = lastTouch[j] > -Infinity ? -Math.log1p((t - lastTouch[j]) / 3_600_000) : -Math.log1p((t - created[j]) / 3_600_000);
        f[2] = membersOf[j].size;
        if (mine.length) {
          if (useEase) {
            const p = easeOf(j);
            let s = 0;
            for (const i of mine) if (i !== j) s -= p[i];
            f[3] = s / p[j];
          }
          // Item-kNN: cosine of j's member column with each of the member's threads.
          let knn = 0;
          const mj = membersOf[j];
          if (mj.size)
            for (const i of mine) {
              let co = 0;
              for (const v of membersOf[i]) if (mj.has(v)) co++;
              if (co) knn += co / Math.sqrt(mj.size * membersOf[i].size);
            }
          f[4] = knn;
          let tf = 0;
          for (const [w, x] of refVectorOf(j)) tf += x * (profile.get(w) ?? 0);
          f[5] = tf;
          let bm = 0;
          const norm = 1.2 * (0.25 + 0.75 * (bmLength[j] / avgLength));
          for (const [w, c] of bmTokens[j]) {
            const q = query.get(w);
            if (!q) continue;
            const df = bmDf.get(w) ?? 1;
            bm += Math.log1p(q) * Math.log(1 + (corpus - df + 0.5) / (df + 0.5)) * ((c * 2.2) / (c + norm));
          }
          f[6] = bm;
          let tg = 0;
          for (const g of input.tags[j]) {
            const c = myTags.get(g);
            if (c) tg += Math.log1p(c) * Math.log(1 + corpus / (tagDf.get(g) ?? 1));
          }
          f[7] = tg;
        }
        let social = 0;
        for (const v of neighbours[u]) if (membersOf[j].has(v)) social++;
        f[8] = social;
        const a = author[j];
        if (a >= 0 && a !== u) {
          f[9] = Math.log1p(repliedTo[u].get(a) ?? 0);
          f[10] = Math.log1p(repliedTo[a].get(u) ?? 0);
        }
        f[11] = authorPull(a);
        f[12] = -Math.log1p((t - created[j]) / 3_600_000);
        let recent = 0;
        for (let n = touchTimes[j].length - 1; n >= 0 && touchTimes[j][n] >= t - DAY; n--) recent++;
        f[13] = Math.log1p(recent);
        f[14] = membersOf[j].size <= 1 ? 1 : 0;
        f[15] = f[14] * (acts[u] ? answered[u] / acts[u] : 0);
        // The member's last visit: threads older than it were on their screen and not taken up.
        if (lastActive[u] > -Infinity) {
          f[16] = Math.sign(created[j] - lastActive[u]) * Math.log1p(Math.abs(created[j] - lastActive[u]) / 3_600_000);
          f[17] = created[j] > lastActive[u] ? 1 : 0;
        }
        // How old the threads this member takes up usually are (log hours), against this one's age.
        if (habitN[u]) f[18] = -Math.abs(Math.log1p((t - created[j]) / 3_600_000) - habitSum[u] / habitN[u]);
        f[19] = Math.log1p(answers[j]);
        f[20] = Math.log1p(comments[j]);
        f[21] = accepted[j];
        f[22] = Math.log1p(upvotes[j]);
        let week = 0;
        for (let n = touchTimes[j].length - 1; n >= 0 && touchTimes[j][n] >= t - 7 * DAY; n--) week++;
        f[23] = Math.log1p(week);
        // The asker came back lately (answers get comments and accepts when the asker is around).
        f[24] = a >= 0 && lastActive[a] > -Infinity ? -Math.log1p((t - lastActive[a]) / 3_600_000) : -Math.log1p((t - created[j]) / 3_600_000);
        f[F['touches-3d']] = Math.log1p(countSince(touchTimes[j], t - 3 * DAY));
        // A vote counts from the end of its day, so "the last two days" are the two days ended by t.
        f[F['votes-2d']] = Math.log1p(countSince(voteTimes[j], t - 2 * DAY + 1));
        f[F.newcomers] = Math.log1p(countSince(newcomerTimes[j], t - 7 * DAY));
        let tie = 0;
        let recentTies = 0;
        let peers = 0;
        for (const v of membersOf[j]) {
          if (v === u) continue;
          tie += Math.log1p(ties[u].get(v) ?? 0);
          if ((tieLast[u].get(v) ?? -Infinity) >= t - 28 * DAY) recentTies++;
          const n = shared.get(v);
          if (n) peers += n / Math.sqrt(mine.length * itemsOf[v].length);
        }
        f[F.ties] = tie;
        f[F['ties-recent']] = recentTies;
        f[F.peers] = peers;
        if (recentProfile.size) {
          let rt = 0;
          for (const [w, x] of refVectorOf(j)) rt += x * (recentProfile.get(w) ?? 0);
          f[F['recent-text']] = rt;
        }
        f[F.featured] = featuredSpans[j].some((x) => x.from <= t && t < x.to) ? 1 : 0;
        f[F.favourited] = favourite[u].has(j) ? 1 : 0;
        f[F['newest-position']] = -Math.log1p(newerThan(j));
        f[F['active-position']] = -Math.log1p(activeAbove(j));
        f[F['question-downvotes']] = Math.log1p(countBefore(downvoteTimes[j], t + 1));
        f[F.closing] = Math.log1p(countBefore(closingTimes[j], t));
        // How much the asker had done before t: a newcomer's question draws the regulars' clarifying comments.
        if (a >= 0) {
          f[F['asker-acts']] = Math.log1p(acts[a]);
          f[F['asker-new']] = acts[a] <= 1 ? 1 : 0;
        }
        if (!mine.length) for (const c of COLD) f[F[`cold-${c}`]] = f[F[c]];
        return f;
      });
      return { step: k, member: u, warm: mine.length > 0, candidates, relevant, features };
    };
  };

  const steps: RollingSteps['steps'] = [];
  const total = kMax - kMin + 1;
  for (let k = kMin; k <= kMax; k++) {
    const t = options.cutoff + k * 7 * DAY;
    advance(t);
    options.onStep?.(k - kMin, total);
    const window = windowAt(t);
    if (window.length < 2) {
      steps.push({ k, t, window: window.length, pairs: [] });
      continue;
    }
    const inWindow = new Set(window);
    const relevantOf = new Map<number, Set<number>>();
    for (let n = row; n < sorted.length && sorted[n].ts < t + 7 * DAY; n++) {
      const { member: u, item: i } = sorted[n];
      if (!inWindow.has(i) || touched[u].has(i)) continue;
      let s = relevantOf.get(u);
      if (!s) relevantOf.set(u, (s = new Set()));
      s.add(i);
    }
    if (relevantOf.size === 0) {
      steps.push({ k, t, window: window.length, pairs: [] });
      continue;
    }
    const listOf = listsAt(t, window);
    // Who touches each window thread in the coming week: the foresight bound's input.
    const comingOf = new Map<number, Set<number>>();
    for (let n = row; n < sorted.length && sorted[n].ts < t + 7 * DAY; n++) {
      const { member: u, item: i } = sorted[n];
      if (!inWindow.has(i)) continue;
      let s = comingOf.get(i);
      if (!s) comingOf.set(i, (s = new Set()));
      s.add(u);
    }
    const pairs = [...relevantOf]
      .sort((a, b) => a[0] - b[0])
      .map(([u, relevant]) => {
        const pair = listOf(k, u, relevant);
        pair.nextWeek = Float64Array.from(pair.candidates, (i) => {
          const s = comingOf.get(i);
          return s ? s.size - (s.has(u) ? 1 : 0) : 0;
        });
        return pair;
      });
    steps.push({ k, t, window: window.length, pairs });
  }
  if (options.rankAt === undefined) return { steps, at: null };
  // "Now": everything before rankAt taken in, the lists of any member on demand.
  advance(options.rankAt);
  const window = windowAt(options.rankAt);
  const listOf = window.length ? listsAt(options.rankAt, window) : null;
  return { steps, at: listOf && ((u: number) => listOf(kMax + 1, u, new Set())) };
}

export interface PairResult {
  ndcg: number;
  recall: number;
  warm: boolean;
  top: number[];
}

export interface ModelFigures {
  model: string;
  pairs: number;
  ndcg: number;
  recall: number;
  /** Standard error of the mean NDCG@10 over pairs. */
  se: number;
  warmPairs: number;
  ndcgWarm: number;
  recallWarm: number;
  coldPairs: number;
  ndcgCold: number;
  /** Distinct threads in all top-10 lists / distinct candidate threads. */
  coverage: number;
  /** Gini coefficient of top-10 exposure across the candidates' authors. */
  exposureGini: number;
  /** NDCG@10 of each pair, in the order of the scored pairs (for paired comparisons). */
  perPair: number[];
}

export function summarise(model: string, results: PairResult[], pairs: RollingPair[], author: Int32Array): ModelFigures {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const nd = results.map((r) => r.ndcg);
  const m = mean(nd);
  const sd = Math.sqrt(mean(nd.map((x) => (x - m) ** 2)));
  const warm = results.filter((r) => r.warm);
  const cold = results.filter((r) => !r.warm);
  const candidateItems = new Set<number>();
  for (const p of pairs) for (const i of p.candidates) candidateItems.add(i);
  const lists = results.map((r) => r.top);
  return {
    model,
    pairs: results.length,
    ndcg: m,
    recall: mean(results.map((r) => r.recall)),
    se: results.length > 1 ? sd / Math.sqrt(results.length) : 0,
    warmPairs: warm.length,
    ndcgWarm: mean(warm.map((r) => r.ndcg)),
    recallWarm: mean(warm.map((r) => r.recall)),
    coldPairs: cold.length,
    ndcgCold: mean(cold.map((r) => r.ndcg)),
    coverage: coverage(lists, candidateItems.size),
    exposureGini: exposureGini(lists, candidateItems, author),
    perPair: nd
  };
}

function evaluatePair(p: RollingPair, scores: ArrayLike<number>, rerank?: (ranked: number[]) => number[]): PairResult {
  const ranked = rerank ? rerank(rankByScore(p.candidates, scores)) : rankByScore(p.candidates, scores);
  return { ndcg: ndcg10(ranked, p.relevant), recall: recall10(ranked, p.relevant), warm: p.warm, top: ranked.slice(0, 10) };
}

/** z-scores of one component over a pair's candidates, as the reference hybrids blend them. */
function zOf(p: RollingPair, f: number): Float64Array {
  const x = p.features.map((v) => [round9(v[f])]);
  return Float64Array.from(standardise(x.map((a) => Float64Array.from(a))), (v) => v[0]);
}

function* grid(dims: number): Generator<number[]> {
  const total = 3 ** dims;
  yield Array(dims).fill(1);
  for (let n = 1; n < total; n++) {
    const w = Array.from({ length: dims }, (_, d) => Math.floor(n / 3 ** (dims - 1 - d)) % 3);
    if (w.every((x) => x === 1)) continue;
    yield w;
  }
}

/** The reference hybrid: weights from {0,1,2}^d tuned on the pairs of the four previous steps. */
function referenceHybrid(steps: RollingSteps['steps'], index: number, components: number[]): PairResult[] {
  const pool = steps.slice(Math.max(0, index - 4), index).flatMap((s) => s.pairs);
  const zs = (p: RollingPair) => components.map((f) => zOf(p, f));
  const blendScores = (z: Float64Array[], w: number[], n: number) => Float64Array.from({ length: n }, (_, c) => w.reduce((s, wi, d) => s + wi * z[d][c], 0));
  let best = Array(components.length).fill(1);
  if (pool.length) {
    const cached = pool.map((p) => ({ p, z: zs(p) }));
    let bestScore = -1;
    for (const w of grid(components.length)) {
      let s = 0;
      for (const { p, z } of cached) s += evaluatePair(p, blendScores(z, w, p.candidates.length)).ndcg;
      s /= cached.length;
      if (s > bestScore + 1e-12) [best, bestScore] = [w, s];
    }
  }
  return steps[index].pairs.map((p) => evaluatePair(p, blendScores(zs(p), best, p.candidates.length)));
}

export interface RollingReport {
  figures: ModelFigures[];
  counts: { steps: number; skipped: number; withPairs: number; pairs: number; warm: number; cold: number; candidates: number; relevant: number };
  /** The ranker's weights fitted for the last scored step (z-scored features). */
  lastWeights: Record<string, number>;
  /** The ranker's L2 penalty, and the validation NDCG@10 of each candidate value (empty when given). */
  l2: number;
  validation: Record<string, number>;
}

/** Scores every model on the steps k ≥ 0, with the ranker and its ablations fitted on earlier steps. */
export function evaluateRolling(
  built: RollingSteps,
  author: Int32Array,
  options: {
    ablations?: boolean;
    references?: boolean;
    l2?: number;
    raw?: boolean;
    bound?: boolean;
    /** The ranker's lists also re-ranked by maximal marginal relevance at each λ (rows `ranker+diversity(λ)`). */
    diversity?: readonly number[];
  } = {}
): RollingReport {
  const raw = options.raw ?? false;
  const { steps } = built;
  const scoredFrom = steps.findIndex((s) => s.k >= 0);
  const diffs = steps.map((s) =>
    s.pairs.map((p) => pairDifferences({ features: p.features, relevant: Array.from(p.candidates, (i) => p.relevant.has(i)) }, raw))
  );
  // The regularisation is chosen on the weeks before the cut-off, never on a scored week.
  const validation = options.l2 === undefined ? chooseL2(steps, diffs, scoredFrom, raw) : null;
  const l2 = options.l2 ?? validation!.l2;
  const scored = steps.slice(scoredFrom);
  const scoredPairs = scored.flatMap((s) => s.pairs);
  const results = new Map<string, PairResult[]>();
  const push = (model: string, r: PairResult[]) => results.set(model, [...(results.get(model) ?? []), ...r]);
  const single: Record<string, (p: RollingPair) => ArrayLike<number>> = {
    'oldest-first': (p) => new Float64Array(p.candidates.length),
    'newest-first': (p) => p.features.map((f) => f[REFERENCE.newest]),
    'popular-so-far': (p) => p.features.map((f) => f[REFERENCE.popular]),
    ease: (p) => p.features.map((f) => f[REFERENCE.ease]),
    tfidf: (p) => p.features.map((f) => f[REFERENCE.tfidf]),
    social: (p) => p.features.map((f) => f[REFERENCE.social]),
    bm25: (p) => p.features.map((f) => f[FEATURES.indexOf('bm25')])
  };
  const variants: Record<string, number[]> = { ranker: [...RANKER_COLUMNS] };
  if (options.ablations ?? true) {
    for (const [group, names] of Object.entries(FEATURE_GROUPS))
      variants[`ranker-without-${group}`] = RANKER_COLUMNS.filter((f) => !names.includes(FEATURES[f]));
    for (const [group, names] of Object.entries(CANDIDATE_GROUPS)) variants[`ranker-with-${group}`] = [...RANKER_COLUMNS, ...names.map((n) => F[n as Feature])];
  }
  const starts = new Map<string, Float64Array>();
  const store = new PairStore(FEATURES.length);
  let stored = 0;
  let lastWeights: Record<string, number> = {};
  for (let index = scoredFrom; index < steps.length; index++) {
    const step = steps[index];
    if (!step.pairs.length) continue;
    for (const [model, score] of Object.entries(single))
      push(
        model,
        step.pairs.map((p) => evaluatePair(p, score(p)))
      );
    if (options.references ?? true) {
      push('hybrid(pop+ease+tfidf)', referenceHybrid(steps, index, [REFERENCE.popular, REFERENCE.ease, REFERENCE.tfidf]));
      push('hybrid(+newest+social)', referenceHybrid(steps, index, [REFERENCE.newest, REFERENCE.popular, REFERENCE.ease, REFERENCE.tfidf, REFERENCE.social]));
    }
    while (stored < index) for (const d of diffs[stored++]) store.add(d);
    for (const [model, use] of Object.entries(variants)) {
      const fitted = store.fit({ use, raw, start: starts.get(model), l2, iterations: starts.has(model) ? 3 : 10 });
      starts.set(model, fitted.weights);
      if (model === 'ranker') lastWeights = Object.fromEntries(RANKER_FEATURES.map((n, f) => [n, Math.round(fitted.weights[f] * 1000) / 1000]));
      // Scored once: the ranker's diversity rows re-rank the same scores.
      const scores = step.pairs.map((p) => fitted.score(p.features));
      push(
        model,
        step.pairs.map((p, n) => evaluatePair(p, scores[n]))
      );
      if (model === 'ranker')
        for (const lambda of options.diversity ?? [])
          push(
            diversityModel('ranker', lambda),
            step.pairs.map((p, n) => evaluatePair(p, scores[n], (ranked) => diversify(ranked, { lambda, authorOf: (i) => author[i] })))
          );
    }
  }
  if (options.bound ?? true) {
    push(ORACLE, inSampleBound(scoredPairs, diffs.slice(scoredFrom).flat()));
    push(ORACLE_ALL, inSampleBound(scoredPairs, diffs.slice(scoredFrom).flat(), FEATURES.keys()));
    push(
      FORESIGHT,
      scoredPairs.map((p) => evaluatePair(p, foresightScores(p)))
    );
  }
  const figures = [...results].map(([model, r]) => summarise(model, r, scoredPairs, author));
  const withPairs = scored.filter((s) => s.pairs.length).length;
  return {
    figures,
    counts: {
      steps: scored.length,
      skipped: scored.filter((s) => s.window < 2).length,
      withPairs,
      pairs: scoredPairs.length,
      warm: scoredPairs.filter((p) => p.warm).length,
      cold: scoredPairs.filter((p) => !p.warm).length,
      candidates: scoredPairs.reduce((a, p) => a + p.candidates.length, 0) / Math.max(1, scoredPairs.length),
      relevant: scoredPairs.reduce((a, p) => a + p.relevant.size, 0) / Math.max(1, scoredPairs.length)
    },
    lastWeights,
    l2,
    validation: validation?.scores ?? {}
  };
}

/** The name of the in-sample bound's row: not a model, it has seen the weeks it is scored on. */
export const ORACLE = 'bound: linear, fitted on the scored weeks';
/** The same bound over every computed feature, the ranker's and the candidates' (CANDIDATE_GROUPS). */
export const ORACLE_ALL = 'bound: every computed feature, fitted on the scored weeks';

/** The name of the foresight row: ranks by what happens next, so no ranker at t can know it. */
export const FORESIGHT = 'bound: others touching it next week, then newest';

/**
 * Candidates ordered by how many other members touch them in the week being predicted, ties
 * newest first: the ordering a perfect forecast of each thread's coming activity would give.
 */
export function foresightScores(p: RollingPair): Float64Array {
  // Creation times (feature 0: days before t, within 28) only break ties between equal counts.
  return Float64Array.from(p.candidates, (_i, c) => (p.nextWeek?.[c] ?? 0) * 100 + p.features[c][0] / 29);
}

/**
 * An upper bound for any ranker of this form: the pairwise logistic regression fitted on the
 * scored weeks themselves (every feature, each l2 of a wider grid, the best kept). A ranker that
 * learns from earlier weeks only cannot be expected above it; a target above it needs features
 * that carry more, not a better fit.
 */
export function inSampleBound(
  pairs: readonly RollingPair[],
  diffs: readonly ReturnType<typeof pairDifferences>[],
  columns: Iterable<number> = RANKER_COLUMNS
): PairResult[] {
  const use = [...columns];
  const store = new PairStore(FEATURES.length);
  for (const d of diffs) store.add(d);
  let best: PairResult[] = [];
  let bestMean = -1;
  for (const l2 of [0.1, 1, 10, 100, 1000]) {
    const fitted = store.fit({ use, l2, iterations: 20 });
    const r = pairs.map((p) => evaluatePair(p, fitted.score(p.features)));
    const m = r.reduce((a, x) => a + x.ndcg, 0) / Math.max(1, r.length);
    if (m > bestMean) [best, bestMean] = [r, m];
  }
  return best;
}

/** The ranker's regularisation grid; lists weigh 1 each, so l2 is in units of lists. */
export const L2_GRID = [1, 10, 100] as const;
/** Weeks before the cut-off on which l2 is chosen (each fitted on the weeks before it). */
export const VALIDATION_WEEKS = 40;

/** Replays the weekly refit over steps [from, to) and returns the mean NDCG@10 of its lists. */
function replayRanker(
  steps: RollingSteps['steps'],
  diffs: ReturnType<typeof pairDifferences>[][],
  from: number,
  to: number,
  l2: number,
  raw: boolean,
  every = 1
): number {
  const store = new PairStore(FEATURES.length);
  let stored = 0;
  let start: Float64Array | undefined;
  let fitted: PairwiseModel | undefined;
  let fittedAt = -Infinity;
  let sum = 0;
  let n = 0;
  for (let index = from; index < to; index++) {
    if (!steps[index].pairs.length) continue;
    while (stored < index) for (const d of diffs[stored++]) store.add(d);
    if (store.size === 0) continue;
    if (!fitted || index - fittedAt >= every) {
      fitted = store.fit({ use: RANKER_COLUMNS, raw, start, l2, iterations: start ? 3 : 10 });
      fittedAt = index;
      start = fitted.weights;
    }
    for (const p of steps[index].pairs) {
      sum += evaluatePair(p, fitted.score(p.features)).ndcg;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** l2 from L2_GRID with the best mean NDCG@10 over the last VALIDATION_WEEKS weeks before `scoredFrom` (ties to the smaller). */
export function chooseL2(
  steps: RollingSteps['steps'],
  diffs: ReturnType<typeof pairDifferences>[][],
  scoredFrom: number,
  raw = false,
  every = 1
): { l2: number; scores: Record<string, number> } {
  const from = Math.max(0, scoredFrom - VALIDATION_WEEKS);
  const scores: Record<string, number> = {};
  let best: number = L2_GRID[0];
  for (const l2 of L2_GRID) {
    scores[l2] = replayRanker(steps, diffs, from, scoredFrom, l2, raw, every);
    if (scores[l2] > scores[best] + 1e-12) best = l2;
  }
  return { l2: best, scores };
}

export interface FeedRanker {
  model: PairwiseModel;
  l2: number;
  /** Weeks replayed and candidate lists (with a touched thread) the model learned from. */
  weeks: number;
  lists: number;
  /** Member u's list at the moment ranked: candidates (threads of the last 28 days u has not touched) and features. */
  listOf(u: number): RollingPair;
}

/** Fewer lists than this, and the feed is left to the blend: a handful of weeks cannot tell the features apart. */
export const MIN_TRAINING_LISTS = 30;

/**
 * The ranker of a live "For you": the community's whole history replayed week by week up to `at`,
 * every (member, week) list with a touched thread a training list, L2 chosen on the last weeks
 * as the evaluation does, then one fit on all of it. Null when the history is too short.
 */
export function fitFeedRanker(input: RollingInput, at: number, options: { ease?: boolean } = {}): FeedRanker | null {
  if (!input.rows.length) return null;
  const built = rollingSteps(input, { cutoff: at, rankAt: at, ease: options.ease });
  const steps = built.steps.filter((s) => s.t < at);
  const diffs = steps.map((s) => s.pairs.map((p) => pairDifferences({ features: p.features, relevant: Array.from(p.candidates, (i) => p.relevant.has(i)) })));
  const lists = diffs.reduce((n, d) => n + d.filter((x) => x.x.length > 0).length, 0);
  if (lists < MIN_TRAINING_LISTS || !built.at) return null;
  // Refitted every 8 weeks rather than weekly while validating: the app's analysis budget.
  const { l2 } = chooseL2(steps, diffs, steps.length, false, 8);
  const store = new PairStore(FEATURES.length);
  for (const d of diffs.flat()) store.add(d);
  const model = store.fit({ use: RANKER_COLUMNS, l2, iterations: 10 });
  return { model, l2, weeks: steps.length, lists, listOf: built.at };
}
