// A member's latest threads and replies (the member page).
import type { PostRow, ThreadRow } from '../../domain/posts';
import type { HearthDb } from '../db';
import { recordsByAuthor } from '../record-store';

/** The ids of a member's thread and reply records. */
export interface MemberPostIds {
  thread: string[];
  reply: string[];
}

/**
 * The member's post records found by author in the store (the records' `[cid+author+ts]` index and
 * the catalogue of packed content). Read in the community worker, which keeps that catalogue: on a
 * page it would be built from every stored record first (seconds at 100,000 records).
 */
export async function memberPostIds(db: HearthDb, cid: string, key: string): Promise<MemberPostIds> {
  const ids: MemberPostIds = { thread: [], reply: [] };
  for (const r of await recordsByAuthor(db, cid, key)) if (r.kind === 'thread' || r.kind === 'reply') ids[r.kind].push(r.id);
  return ids;
}

/**
 * The member's `limit` latest shown posts, newest first: the rows of their post records by id. Not a
 * filtered walk of every thread and reply of the community (a cursor step per row, each row's text
 * read from its record).
 */
export async function memberPosts(db: HearthDb, key: string, ids: MemberPostIds, limit = 20): Promise<PostRow[]> {
  const [threads, replies] = await Promise.all([db.threads.bulkGet(ids.thread), db.replies.bulkGet(ids.reply)]);
  const shownThreads = threads.filter((r): r is ThreadRow => !!r && r.author === key && r.rank >= 0 && !r.locked);
  const shownReplies = replies.filter((r): r is PostRow => !!r && r.author === key && !r.deleted && !r.hidden);
  return [...shownThreads, ...shownReplies].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}
