// The real community: Bicycles Meta Stack Exchange as a Hearth community plan. Every user who wrote
// anything is a member; questions are threads (title, body, tags as text), answers reply to their
// question, comments reply to the post they comment on; upvotes become 👍 reactions when the dump
// names the voter (it never does for upvotes, so none survive). Accepted answers and tag wikis are
// left out. Posts of deleted accounts are kept under one "Deleted user" member, so their threads'
// conversations stay whole.
import type { CommunityPlan, PlanMember, PlanPost } from './community-plan';
import { SE_ATTRIBUTION, SE_LICENCE, type SeData, type SePost } from './se-csv';

export const DELETED_HANDLE = 'deleted';
const DELETED_NAME = 'Deleted user';
/** A reply body may not be empty; 44 answers in the dump are (their text was images or code). */
const EMPTY_ANSWER = '(This answer has no text in the data dump.)';

export interface BlockPost {
  ref: string;
  kind: 'thread' | 'reply';
  author: string;
  ts: number;
  title: string;
  body: string;
  /** Ref of the post this replies to (null for the thread). */
  parent: string | null;
  /** Days (midnight UTC) of the upvotes this post received. */
  upvotes: number[];
}

/** One question with its whole conversation: the unit the generator resamples. */
export interface ConversationBlock {
  posts: BlockPost[];
  start: number;
  end: number;
}

export interface SeConversations {
  blocks: ConversationBlock[];
  /** Writers by handle (user id or DELETED_HANDLE), with their name and account creation time. */
  writers: Map<string, { name: string; created: number | null }>;
  /** Upvotes whose voter the dump names, as reactions. */
  namedVotes: { author: string; postRef: string; day: number }[];
  first: number;
  last: number;
}

const postRef = (id: string) => `p${id}`;
const commentRef = (id: string) => `c${id}`;

function threadBody(q: SePost): string {
  const tags = q.tags.length ? `Tags: ${q.tags.map((t) => `\`${t}\``).join(' · ')}` : '';
  return [q.body.trim(), tags].filter(Boolean).join('\n\n');
}

export function seConversations(data: SeData): SeConversations {
  const users = new Map(data.users.map((u) => [u.id, u]));
  const handleOf = (owner: string | null) => (owner && users.has(owner) ? owner : DELETED_HANDLE);
  const questions = new Map(data.posts.filter((p) => p.type === 'question').map((p) => [p.id, p]));
  const upvotes = new Map<string, number[]>();
  for (const v of data.votes) {
    if (v.kind !== 'upvote') continue;
    let list = upvotes.get(v.postId);
    if (!list) upvotes.set(v.postId, (list = []));
    list.push(v.day);
  }

  const blocks = new Map<string, ConversationBlock>();
  const threadOf = new Map<string, string>();
  for (const q of questions.values()) {
    blocks.set(q.id, {
      posts: [
        {
          ref: postRef(q.id),
          kind: 'thread',
          author: handleOf(q.owner),
          ts: q.created,
          title: q.title.trim(),
          body: threadBody(q),
          parent: null,
          upvotes: upvotes.get(q.id) ?? []
        }
      ],
      start: q.created,
      end: q.created
    });
    threadOf.set(q.id, q.id);
  }
  for (const a of data.posts) {
    if (a.type !== 'answer' || !a.parentId || !questions.has(a.parentId)) continue;
    blocks.get(a.parentId)!.posts.push({
      ref: postRef(a.id),
      kind: 'reply',
      author: handleOf(a.owner),
      ts: a.created,
      title: '',
      body: a.body.trim() || EMPTY_ANSWER,
      parent: postRef(a.parentId),
      upvotes: upvotes.get(a.id) ?? []
    });
    threadOf.set(a.id, a.parentId);
  }
  for (const c of data.comments) {
    const thread = threadOf.get(c.postId);
    if (!thread || !c.text.trim()) continue;
    blocks.get(thread)!.posts.push({
      ref: commentRef(c.id),
      kind: 'reply',
      author: handleOf(c.user),
      ts: c.created,
      title: '',
      body: c.text.trim(),
      parent: postRef(c.postId),
      upvotes: []
    });
  }

  const writers = new Map<string, { name: string; created: number | null }>();
  let first = Infinity;
  let last = -Infinity;
  for (const block of blocks.values()) {
    for (const p of block.posts) {
      block.start = Math.min(block.start, p.ts);
      block.end = Math.max(block.end, p.ts);
      if (!writers.has(p.author)) {
        const u = users.get(p.author);
        writers.set(p.author, u ? { name: u.name.trim() || `user ${u.id}`, created: u.created } : { name: DELETED_NAME, created: null });
      }
    }
    first = Math.min(first, block.start);
    last = Math.max(last, block.end);
  }

  const namedVotes: SeConversations['namedVotes'] = [];
  for (const v of data.votes) {
    if (v.kind === 'upvote' && v.user && writers.has(v.user) && threadOf.has(v.postId)) {
      namedVotes.push({ author: v.user, postRef: postRef(v.postId), day: v.day });
    }
  }
  const ordered = [...blocks.values()].sort((a, b) => a.start - b.start);
  return { blocks: ordered, writers, namedVotes, first, last };
}

const DAY = 86_400_000;

export function seCommunityPlan(data: SeData): CommunityPlan {
  const conv = seConversations(data);
  const members: PlanMember[] = [...conv.writers].map(([handle, w]) => ({ handle, name: w.name, joinedAt: w.created ?? undefined }));
  const posts: PlanPost[] = [];
  for (const block of conv.blocks) {
    const thread = block.posts[0];
    for (const p of block.posts) {
      if (p.kind === 'thread') posts.push({ ref: p.ref, kind: 'thread', author: p.author, ts: p.ts, title: p.title, body: p.body });
      else posts.push({ ref: p.ref, kind: 'reply', author: p.author, ts: p.ts, thread: thread.ref, parent: p.parent!, body: p.body });
    }
  }
  const postTs = new Map(posts.map((p) => [p.kind === 'reaction' ? '' : p.ref, p.ts]));
  const seenVote = new Set<string>();
  for (const v of conv.namedVotes) {
    const key = `${v.author}/${v.postRef}`;
    if (seenVote.has(key)) continue;
    seenVote.add(key);
    // The dump keeps the day only: noon of that day, never before the post itself.
    const ts = Math.max(v.day + DAY / 2, (postTs.get(v.postRef) ?? 0) + 1000);
    posts.push({ kind: 'reaction', author: v.author, ts, target: v.postRef, emoji: '👍' });
  }
  const createdAt = Math.min(conv.first, ...data.users.map((u) => u.created)) - DAY;
  return {
    keyNamespace: 'hearth-se-bicycles-meta',
    genesis: {
      name: 'Bicycles Meta (Stack Exchange)',
      description:
        'Demo community: the public discussions of Bicycles Meta Stack Exchange, August 2010 – August 2023, ' +
        `imported into Hearth. Content by ${SE_ATTRIBUTION}, licensed ${SE_LICENCE} ` +
        '(https://creativecommons.org/licenses/by-sa/4.0/). Member keys are derived from public seeds: demo only.',
      emoji: '🚲',
      color: '#2f7d5b',
      createdAt,
      nonce: 'se-bicycles-meta'
    },
    invite: { label: 'Stack Exchange import', nonce: 'se-bicycles-meta' },
    members,
    posts
  };
}
