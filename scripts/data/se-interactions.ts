// A community in the shared data layout (posts.csv, interactions.csv, comments.csv, users.csv) as
// the recommenders' input: members × threads from interactions.csv; each thread's text (title,
// tags, body), tags, author and creation time from posts.csv; and the reply graph (an answer links
// its owner to the question's owner, a comment its author to the commented post's owner).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { seDataDir } from './se-csv';
import type { Catalogue, Row } from '../../workers/recommend/evaluate';
import type { ReplyEdge } from '../../workers/recommend/rolling';
import { TfIdf } from '../../workers/recommend/tfidf';

/** Interaction strengths: writing a question says more than a comment. EASE and item-kNN use 0/1. */
const KIND_WEIGHT: Record<string, number> = { asked: 3, answered: 2, commented: 1, accepted: 1 };

/** A comment that says a question does not belong: the words of Stack Exchange's close reasons and their replies. */
export const CLOSING = /off[- ]topic|duplicate|\bclosed\b|close vote|vot(?:e|ed|ing) to close|on hold|too broad|opinion[- ]based/i;

const utc = (s: string) => Date.parse(`${s}Z`);

export interface SeCommunity {
  name: string;
  rows: Row[];
  /** Interaction kind of each row (asked, answered, commented, accepted). */
  kinds: string[];
  cat: Catalogue;
  /** Each thread's text, lower-cased title + tags + body (the reference TF-IDF's input). */
  text: string[];
  tags: string[][];
  /** Who replied to whom, with when. */
  replies: ReplyEdge[];
  /** Up-votes on each thread's posts, from the end of the day cast. */
  votes: { item: number; ts: number }[];
  /** Favourite marks by members of the matrix, from the end of the day marked. */
  favourites: { member: number; item: number; ts: number }[];
  /** Bounty spans: the thread featured from the end of the bounty's first day to the end of its close day. */
  featured: { item: number; from: number; to: number }[];
  /** Down-votes on each thread's question, from the end of the day cast. */
  downvotes: { item: number; ts: number }[];
  /** Comments on a thread's posts that call it off-topic, a duplicate, on hold or to be closed. */
  closing: { item: number; ts: number }[];
  /** Thread ids in item order. */
  threadIds: number[];
}

/** The community folders under a data directory (those with interactions.csv), sorted by name. */
export function communityDirs(root: string): string[] {
  if (existsSync(join(root, 'interactions.csv'))) return [root];
  return readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => existsSync(join(d, 'interactions.csv')))
    .sort();
}

export function loadSeInteractions(dir = seDataDir()): SeCommunity {
  if (!dir) throw new Error('community CSVs not found: set HEARTH_SE_DATA or pass --data');
  const read = (f: string) => parse(readFileSync(join(dir, f)), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
  const interactions = read('interactions.csv');
  const posts = read('posts.csv');
  const questions = posts.filter((p) => p.type === 'question').sort((a, b) => Number(a.id) - Number(b.id));
  const itemOf = new Map(questions.map((q, i) => [q.id, i]));
  const memberIds = [...new Set(interactions.map((r) => r.user_id))].sort((a, b) => Number(a) - Number(b));
  const memberOf = new Map(memberIds.map((m, i) => [m, i]));
  const rows: Row[] = interactions.map((r) => {
    const item = itemOf.get(r.thread_id);
    if (item === undefined) throw new Error(`interaction on unknown thread ${r.thread_id}`);
    return { member: memberOf.get(r.user_id)!, item, ts: utc(r.timestamp), weight: KIND_WEIGHT[r.kind] ?? 1 };
  });
  const tags = questions.map((q) => (q.tags ?? '').split(';').filter(Boolean));
  const text = questions.map((q, i) => `${q.title} ${tags[i].join(' ')} ${q.body}`.toLowerCase());
  // Reply graph, as EVALUATION.md's "social" model builds it: members outside the matrix dropped.
  const ownerOf = new Map(posts.map((p) => [p.id, p.owner_user_id]));
  const replies: ReplyEdge[] = [];
  const edge = (from: string | undefined, to: string | undefined, ts: number) => {
    const a = from ? memberOf.get(from) : undefined;
    const b = to ? memberOf.get(to) : undefined;
    if (a !== undefined && b !== undefined && a !== b) replies.push({ from: a, to: b, ts });
  };
  for (const p of posts) if (p.type === 'answer' && p.parent_id) edge(p.owner_user_id, ownerOf.get(p.parent_id), utc(p.creation_date));
  const comments = existsSync(join(dir, 'comments.csv')) ? read('comments.csv') : [];
  for (const c of comments) edge(c.user_id, ownerOf.get(c.post_id), utc(c.creation_date));
  replies.sort((a, b) => a.ts - b.ts);
  // Up-votes on a thread's question and answers; a vote has a date, not a time, so it counts from the end of its day.
  const threadOf = new Map(posts.map((p) => [p.id, itemOf.get(p.type === 'question' ? p.id : (p.parent_id ?? ''))]));
  const votes: { item: number; ts: number }[] = [];
  const favourites: { member: number; item: number; ts: number }[] = [];
  // A bounty puts a thread on the site's "featured" tab from its start to its close (7 days when no close is recorded).
  const featured: { item: number; from: number; to: number }[] = [];
  const downvotes: { item: number; ts: number }[] = [];
  const bountyOpen = new Map<number, number>();
  if (existsSync(join(dir, 'votes.csv')))
    for (const v of read('votes.csv').sort((a, b) => a.creation_date.localeCompare(b.creation_date) || Number(a.id) - Number(b.id))) {
      const item = threadOf.get(v.post_id);
      if (item === undefined) continue;
      const endOfDay = Date.parse(`${v.creation_date.slice(0, 10)}T00:00:00Z`) + 86_400_000;
      if (v.kind === 'upvote') votes.push({ item, ts: endOfDay });
      else if (v.kind === 'downvote' && itemOf.has(v.post_id)) downvotes.push({ item, ts: endOfDay });
      else if (v.kind === 'favorite' && v.user_id && memberOf.has(v.user_id)) favourites.push({ member: memberOf.get(v.user_id)!, item, ts: endOfDay });
      else if (v.kind === 'bounty_start') bountyOpen.set(item, endOfDay);
      else if (v.kind === 'bounty_close' && bountyOpen.has(item)) {
        featured.push({ item, from: bountyOpen.get(item)!, to: endOfDay });
        bountyOpen.delete(item);
      }
    }
  for (const [item, from] of bountyOpen) featured.push({ item, from, to: from + 7 * 86_400_000 });
  const closing: { item: number; ts: number }[] = [];
  for (const c of comments) {
    const item = threadOf.get(c.post_id);
    if (item !== undefined && CLOSING.test(c.text ?? '')) closing.push({ item, ts: utc(c.creation_date) });
  }
  return {
    name: basename(dir),
    rows,
    kinds: interactions.map((r) => r.kind),
    text,
    tags,
    replies,
    votes,
    favourites,
    featured,
    downvotes,
    closing,
    threadIds: questions.map((q) => Number(q.id)),
    cat: {
      members: memberIds.length,
      items: questions.length,
      meta: {
        created: Float64Array.from(questions, (q) => utc(q.creation_date)),
        author: Int32Array.from(questions, (q) => memberOf.get(q.owner_user_id) ?? -1)
      },
      index: new TfIdf(questions.map((q, i) => `${q.title}\n${tags[i].join(' ')}\n${q.body}`)),
      text,
      tags
    }
  };
}
