// Featured threads (精华): those a moderator marked, newest mark first.
import type { ThreadRow } from '../../domain/posts';
import type { HearthDb } from '../db';

/** The community's featured threads still shown (not removed), the most recently featured first. */
export async function featuredThreads(db: HearthDb, cid: string): Promise<ThreadRow[]> {
  // One range read, filtered here: a filtered collection is read by cursor, a step per row, and each
  // row's text comes from its record (store/post-bodies).
  const list = (await db.threads.where('cid').equals(cid).toArray()).filter((r) => !!r.featured && r.rank >= 0);
  return list.sort((a, b) => b.featured!.at - a.featured!.at);
}
