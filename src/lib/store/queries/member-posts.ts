// A member's latest threads and replies (the member page).
import type { PostRow, ThreadRow } from '../../domain/posts';
import type { HearthDb } from '../db';
import { recordsByAuthor } from '../record-store';

/**
 * The member's `limit` latest shown posts, newest first: their post records found by author in the
 * records' `[cid+author+ts]` index, then those posts' rows by id. Not a filtered walk of every
 * thread and reply of the community (a cursor step per row, each row's text read from its record).
 */
export async function memberPosts(db: HearthDb, cid: string, key: string, limit = 20): Promise<PostRow[]> {
  const ids = { thread: [] as string[], reply: [] as string[] };
  for (const r of await recordsByAuthor(db, cid, key)) if (r.kind === 'thread' || r.kind === 'reply') ids[r.kind].push(r.id);
  const [threads, replies] = await Promise.all([db.threads.bulkGet(ids.thread), db.replies.bulkGet(ids.reply)]);
  const shownThreads = threads.filter((r): r is ThreadRow => !!r && r.author === key && r.rank >= 0 && !r.locked);
  const shownReplies = replies.filter((r): r is PostRow => !!r && r.author === key && !r.deleted && !r.hidden);
  return [...shownThreads, ...shownReplies].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}
