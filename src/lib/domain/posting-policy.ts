// The posting policy: what an honest client checks before it writes a record as its member. One
// pure verdict for every kind, from facts the caller gathers (store/queries/posting.ts): a removed
// member writes nothing; watched words, links from newcomers, rate limits and slow mode apply to
// posts. Peers do not re-check these (a modified client could skip them): moderators still have
// flags, hiding and bans, and every peer refuses a banned member's records (authority).
import type { Settings } from './membership';
import { postingAllowed, watchedWordAction } from './membership';
import type { Kind } from './record';

/** Kinds the rate limits, slow mode, watched words and the newcomers' link rule apply to. */
export const POLICED_KINDS: ReadonlySet<Kind> = new Set<Kind>(['thread', 'reply', 'question', 'answer']);

/** Kinds a removed member's device still writes: its own profile (peers ignore it, harmlessly). */
const WRITABLE_WHEN_BANNED: ReadonlySet<Kind> = new Set<Kind>(['profile']);

export interface PostingFacts {
  banned: boolean;
  /** Creator, admin or moderator: exempt from rate limits, slow mode and the link rule. */
  staff: boolean;
  trustLevel: number;
  watchedWords: Settings['watchedWords'] | undefined;
  /** When this member's policed posts of the last hour were written. */
  recentPosts: number[];
  /** The thread's slow mode in seconds (0: off), for a reply. */
  slowSeconds: number;
  /** This member's latest reply in that thread, for slow mode. */
  lastInThread: number | null;
}

export type PostingRefusal =
  | { reason: 'standing.banned_post' }
  | { reason: 'mod.blocked_word'; word: string }
  | { reason: 'mod.no_links' }
  | { reason: 'mod.rate_limited' | 'mod.slow_mode'; retryAt: number; slowSeconds: number };

/** Why this member may not write this record now; null when they may. */
export function postingVerdict(kind: Kind, body: { title?: unknown; body?: unknown }, now: number, facts: PostingFacts): PostingRefusal | null {
  if (facts.banned) return WRITABLE_WHEN_BANNED.has(kind) ? null : { reason: 'standing.banned_post' };
  if (!POLICED_KINDS.has(kind)) return null;
  const text = `${typeof body.title === 'string' ? body.title : ''}\n${typeof body.body === 'string' ? body.body : ''}`;
  const hit = watchedWordAction(text, facts.watchedWords ?? []);
  if (hit.action === 'block') return { reason: 'mod.blocked_word', word: hit.word ?? '' };
  if (facts.staff) return null;
  if (facts.trustLevel === 0 && (/https?:\/\//i.test(text) || /!\[[^\]]*\]\(/.test(text))) return { reason: 'mod.no_links' };
  return postingWait(kind, now, facts);
}

/** When this member may post again under rate limit and slow mode (null: now). */
export function postingWait(
  kind: Kind,
  now: number,
  facts: Omit<PostingFacts, 'banned' | 'watchedWords'>
): Extract<PostingRefusal, { retryAt: number }> | null {
  if (facts.staff || !POLICED_KINDS.has(kind)) return null;
  const slow = kind === 'reply' ? facts.slowSeconds : 0;
  const allowed = postingAllowed(facts.trustLevel, facts.recentPosts, now, slow, kind === 'reply' ? facts.lastInThread : null);
  return allowed.ok ? null : { reason: `mod.${allowed.reason}`, retryAt: allowed.retryAt, slowSeconds: facts.slowSeconds };
}
