// Signals beyond the interaction matrix that still rank a brand-new thread: who wrote it (and
// how the member relates to them), when it was written (and when the member is active), and how
// many members threads like it drew. They use only training interactions and what is known of
// an item when it is created, never the member's own authorship of the item being ranked.
import type { Feedback, Scorer } from './feedback';
import type { TfIdf } from './tfidf';

export interface ItemMeta {
  /** Creation time of each item. */
  created: Float64Array;
  /** Member index of each item's author, -1 when unknown or not a member of the matrix. */
  author: Int32Array;
}

const DAY = 86_400_000;

/**
 * Threads written when the member was active: Σ exp(−|t − x|/τ) over the member's interaction
 * times x. With `log`, the logarithm computed around the nearest x, so that far from all of the
 * member's activity, where the kernel underflows, "nearer in time" still ranks higher (a member
 * who went quiet years ago is likelier to touch the first new threads than the last).
 */
export function fitTimeProximity(train: Feedback, meta: ItemMeta, options: { scaleDays?: number; log?: boolean; name?: string } = {}): Scorer {
  const tau = (options.scaleDays ?? 60) * DAY;
  return {
    name: options.name ?? 'time',
    score(member) {
      const times = train.timesOf(member);
      const out = new Float64Array(train.items);
      if (times.length === 0) return out;
      for (let i = 0; i < train.items; i++) {
        const t = meta.created[i];
        let nearest = Infinity;
        for (const x of times) nearest = Math.min(nearest, Math.abs(t - x));
        let s = 0;
        for (const x of times) s += Math.exp(-(Math.abs(t - x) - nearest) / tau);
        out[i] = options.log ? Math.log(s) - nearest / tau : s * Math.exp(-nearest / tau);
      }
      return out;
    }
  };
}

/**
 * Social tie to the item's author: how often the member and the author met in training
 * (one touched the other's thread, or both touched one thread). Self-ties count zero.
 * Computed for one member when asked (their threads and those threads' members), not for every
 * pair up front: at 10,000 members the pairs of co-participants run into millions.
 */
export function fitAuthorAffinity(train: Feedback, meta: ItemMeta): Scorer & { tie(member: number, other: number): number } {
  // Threads by author, compressed: author a's are byAuthor[authorPtr[a] .. authorPtr[a+1]).
  const authorPtr = new Int32Array(train.members + 1);
  for (let i = 0; i < train.items; i++) if (meta.author[i] >= 0) authorPtr[meta.author[i] + 1]++;
  for (let a = 0; a < train.members; a++) authorPtr[a + 1] += authorPtr[a];
  const byAuthor = new Int32Array(authorPtr[train.members]);
  const fill = authorPtr.slice(0, train.members);
  for (let i = 0; i < train.items; i++) if (meta.author[i] >= 0) byAuthor[fill[meta.author[i]]++] = i;

  let last: { member: number; ties: Map<number, number> } | null = null;
  const tiesOf = (member: number): Map<number, number> => {
    if (last?.member === member) return last.ties;
    const ties = new Map<number, number>();
    const add = (other: number, w: number) => {
      if (other !== member && other >= 0) ties.set(other, (ties.get(other) ?? 0) + w);
    };
    for (const i of train.itemsOf(member)) {
      add(meta.author[i], 1);
      // Co-participants of small threads know each other; in large threads the tie is diluted.
      const members = train.membersOf(i);
      if (members.length > 1 && members.length <= 30) for (const v of members) add(v, 1 / (members.length - 1));
    }
    // Those who took part in the member's own threads, of the threads the training rows show them
    // in: under holdout a thread's author is catalogue data, but that this member wrote a held-out
    // thread is their held-out row, and counting its members would rank it by itself.
    if (member >= 0 && member < train.members) {
      const mine = new Set(train.itemsOf(member));
      for (let p = authorPtr[member]; p < authorPtr[member + 1]; p++) if (mine.has(byAuthor[p])) for (const u of train.membersOf(byAuthor[p])) add(u, 1);
    }
    last = { member, ties };
    return ties;
  };
  const tie = (member: number, other: number) => tiesOf(member).get(other) ?? 0;
  return {
    name: 'author-affinity',
    tie,
    score(member) {
      const out = new Float64Array(train.items);
      const mine = tiesOf(member);
      if (!mine.size) return out;
      for (let i = 0; i < train.items; i++) {
        const a = meta.author[i];
        if (a >= 0 && a !== member) out[i] = Math.log1p(mine.get(a) ?? 0);
      }
      return out;
    }
  };
}

/** How many members the author's earlier threads drew, on average (authors whose questions get answered). */
export function fitAuthorPull(train: Feedback, meta: ItemMeta): Scorer {
  const counts = train.itemCounts();
  const sum = new Map<number, number>();
  const n = new Map<number, number>();
  for (let i = 0; i < train.items; i++) {
    const a = meta.author[i];
    if (a < 0 || counts[i] === 0) continue;
    sum.set(a, (sum.get(a) ?? 0) + counts[i]);
    n.set(a, (n.get(a) ?? 0) + 1);
  }
  const prior = 1;
  const out = new Float64Array(train.items);
  for (let i = 0; i < train.items; i++) {
    const a = meta.author[i];
    // Shrunk toward 1 member (the author alone) for authors with little history.
    out[i] = a >= 0 ? Math.log1p(((sum.get(a) ?? 0) + prior) / ((n.get(a) ?? 0) + 1)) : 0;
  }
  return { name: 'author-pull', score: () => out };
}

/** Popularity predicted from content: the members drawn by the k most similar threads that have interactions. */
export function fitContentPopularity(train: Feedback, index: TfIdf, k = 20): Scorer {
  const counts = train.itemCounts();
  const out = new Float64Array(train.items);
  for (let i = 0; i < train.items; i++) {
    const sims = index.similarTo(i);
    const pool: number[] = [];
    for (let j = 0; j < train.items; j++) if (j !== i && counts[j] > 0 && sims[j] > 0) pool.push(j);
    pool.sort((a, b) => sims[b] - sims[a]);
    let num = 0;
    let den = 0;
    for (const j of pool.slice(0, k)) {
      num += sims[j] * Math.log1p(counts[j]);
      den += sims[j];
    }
    out[i] = den > 0 ? num / den : 0;
  }
  return { name: 'content-popularity', score: () => out };
}

/**
 * Threads written soon after the training data ends first, on a log scale of days: members who
 * come back touch the threads of their return, and a day's difference matters in the first week
 * and hardly after a year. Threads written before the end of training all score 0, so on a
 * catalogue the training data already covers (the holdout protocol) it ranks nothing.
 */
export function fitEarliest(train: Feedback, meta: ItemMeta): Scorer {
  let end = -Infinity;
  for (const t of train.time) if (t > end) end = t;
  const out = Float64Array.from(meta.created, (t) => -Math.log1p(Math.max(0, t - end) / DAY));
  return { name: 'earliest', score: () => out };
}

/**
 * Tags the member keeps coming back to: Σ over the thread's tags of ln(1 + the member's threads
 * with that tag) · ln(1 + N / threads with it), so a rare shared tag says more than "beer".
 * The feed ranker's `tags` feature (rolling.ts) is the same sum over the threads before each week.
 */
export function fitTagAffinity(train: Feedback, tags: readonly (readonly string[])[]): Scorer {
  const df = new Map<string, number>();
  for (const ts of tags) for (const g of new Set(ts)) df.set(g, (df.get(g) ?? 0) + 1);
  const n = tags.length;
  return {
    name: 'tags',
    score(member) {
      const mine = new Map<string, number>();
      for (const i of train.itemsOf(member)) for (const g of new Set(tags[i])) mine.set(g, (mine.get(g) ?? 0) + 1);
      const out = new Float64Array(train.items);
      if (!mine.size) return out;
      for (let j = 0; j < train.items; j++) {
        let s = 0;
        for (const g of new Set(tags[j])) {
          const c = mine.get(g);
          if (c) s += Math.log1p(c) * Math.log(1 + n / df.get(g)!);
        }
        out[j] = s;
      }
      return out;
    }
  };
}
