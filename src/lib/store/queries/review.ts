// The moderators' review queue: posts flagged since the last moderator decision about them, and
// posts containing a watched word that no decision covers yet. It reads every flag and hide record
// and every post row of the community (tens of thousands at 10,000 members): answered where the
// document is (the community worker, through CommunityReads), never on a page.
import { watchedWordAction, type Settings } from '../../domain/membership';
import type { PostRow } from '../../domain/posts';
import type { HearthDb } from '../db';
import { recordsOfKind } from '../record-store';

export interface ReviewItem {
  post: PostRow;
  /** Flags since the last decision about the post. */
  flags: number;
  reasons: string[];
  /** The watched word the post contains (flag action), if any. */
  word: string | null;
  /** The newest of its flags, or when it was posted. */
  lastFlag: number;
}

/** The queue, most flagged first, then most recently flagged. */
export async function reviewQueue(db: HearthDb, cid: string, words: Settings['watchedWords']): Promise<ReviewItem[]> {
  const [flags, decisions] = await Promise.all([recordsOfKind(db, cid, 'flag'), recordsOfKind(db, cid, 'hide')]);
  const decidedAt = new Map<string, number>();
  for (const d of decisions) decidedAt.set(d.body.target, Math.max(decidedAt.get(d.body.target) ?? 0, d.ts));
  const byPost = new Map<string, { n: number; reasons: Set<string>; last: number }>();
  for (const f of flags) {
    if (f.ts <= (decidedAt.get(f.body.target) ?? 0)) continue;
    const e = byPost.get(f.body.target) ?? { n: 0, reasons: new Set<string>(), last: 0 };
    e.n++;
    e.reasons.add(f.body.reason);
    e.last = Math.max(e.last, f.ts);
    byPost.set(f.body.target, e);
  }
  const posts = [...(await db.threads.where('cid').equals(cid).toArray()), ...(await db.replies.where('cid').equals(cid).toArray())];
  const items: ReviewItem[] = [];
  for (const post of posts) {
    if (post.deleted) continue;
    const flagged = byPost.get(post.id);
    const hit = words.length && !decidedAt.has(post.id) ? watchedWordAction(`${post.title ?? ''}\n${post.body}`, words) : { action: null, word: null };
    if (!flagged && hit.action !== 'flag') continue;
    items.push({
      post,
      flags: flagged?.n ?? 0,
      reasons: [...(flagged?.reasons ?? [])],
      word: hit.action === 'flag' ? hit.word : null,
      lastFlag: flagged?.last ?? post.createdAt
    });
  }
  return items.sort((a, b) => b.flags - a.flags || b.lastFlag - a.lastFlag);
}
